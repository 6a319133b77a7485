#!/usr/bin/env bash
# The two quick-start commands:
#   npm start  ->  scripts/quickstart.sh run   install what is missing, bootstrap, run `switchboard all`
#   npm test   ->  scripts/quickstart.sh test  the same bootstrap, then every test
#   scripts/quickstart.sh settings              the bootstrap alone; prints the settings file
# Needs only Node 20.19+/22.12+/24+ and (for missing PostgreSQL/Redis/Chromium) root or sudo on Debian/Ubuntu.
# With DATABASE_URL / REDIS_URL set, those servers are used and nothing is started.
set -euo pipefail
SB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$SB_ROOT"
mode="${1:-run}"
shift || true

# shellcheck source=scripts/stack.sh
source "$SB_ROOT/scripts/stack.sh"

# package.json "engines": Node 20.19+, 22.12+ or 24+ (every dependency supports exactly these).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 24 ? 0 : 1)' 2>/dev/null; then
  sb_log "Node.js 20.19+, 22.12+ or 24+ is required (found: $(node --version 2>/dev/null || echo none))"; exit 1
fi

# npm dependencies: installed once, again only when package-lock.json changes.
stamp="node_modules/.switchboard-lock-hash"
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
if [ "${SB_SKIP_INSTALL:-}" != "1" ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; }; then
  sb_log "installing npm dependencies (npm ci: exactly package-lock.json)"
  # No fallback to `npm install`: a lock file out of sync with package.json must fail here, as it
  # fails the Docker build (test/unit/engines.test.ts checks that `npm ci` accepts the lock).
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_hash" > "$stamp"
fi

sb_stack

# SECRET_KEY encrypts stored secrets: generated once for the local install and kept under .data.
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s "$SB_DATA/secret-key" ]; then
    node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' > "$SB_DATA/secret-key"
    chmod 600 "$SB_DATA/secret-key"
  fi
  SECRET_KEY="$(cat "$SB_DATA/secret-key")"
  export SECRET_KEY
fi
export PORT="${PORT:-3000}"
export PUBLIC_URL="${PUBLIC_URL:-http://localhost:$PORT}"
# E-mail: with no SMTP server given, the built-in mail catcher keeps every e-mail (dashboard:
# Outbox page; GET /v1/simulator/emails), so the demo's e-mail actions work out of the box.
qs_smtp_url="${SMTP_URL:-catcher}"

# The settings this install runs with, for `npx switchboard …` in another shell
# (bin/switchboard.js reads them when DATABASE_URL / REDIS_URL / SECRET_KEY are not exported).
# SECRET_KEY stays in .data/secret-key (or wherever it came from); this file holds no secret
# unless DATABASE_URL / REDIS_URL carry a password, hence mode 600.
(
  umask 077
  printf '%s\n' "# written by scripts/quickstart.sh; read by bin/switchboard.js when the environment lacks them" \
    "DATABASE_URL=$DATABASE_URL" "REDIS_URL=$REDIS_URL" "PORT=$PORT" "PUBLIC_URL=$PUBLIC_URL" \
    "SMTP_URL=$qs_smtp_url" > "$SB_DATA/switchboard.env"
)

case "$mode" in
  run)
    export SMTP_URL="$qs_smtp_url"
    # Web Push (the responder PWA, docs/CHANNELS.md "Push to responders' phones"): a VAPID key pair generated
    # once for this install and kept in .data/vapid.env (`npx switchboard` reads it too). Not for
    # `npm test`: test runtimes choose their own push settings.
    if [ -z "${VAPID_PUBLIC_KEY:-}" ]; then
      if [ ! -s "$SB_DATA/vapid.env" ]; then
        (umask 077; node -e 'const k=require("web-push").generateVAPIDKeys(); process.stdout.write(`VAPID_PUBLIC_KEY=${k.publicKey}\nVAPID_PRIVATE_KEY=${k.privateKey}\n`)' > "$SB_DATA/vapid.env")
      fi
      set -a; . "$SB_DATA/vapid.env"; set +a
    fi
    sb_log "building"
    npm run --silent build >&2
    node dist/src/cli.js migrate
    node dist/src/cli.js demo
    sb_log "starting switchboard all on $PUBLIC_URL (other shell: npx switchboard --help)"
    exec node dist/src/cli.js all
    ;;
  test)
    if [ "${SB_SKIP_BROWSER:-}" != "1" ] && ! command -v chromium >/dev/null; then sb_apt_install chromium; fi
    sb_log "type-checking"
    npm run --silent typecheck
    sb_log "running tests"
    exec npx vitest run "$@"
    ;;
  settings)
    # Bootstrap only (servers, secret key, settings file) and say where the settings are; the
    # tests use it (with SB_DATA, DATABASE_URL, REDIS_URL and SB_SKIP_INSTALL=1).
    echo "$SB_DATA/switchboard.env"
    ;;
  *)
    echo "usage: scripts/quickstart.sh run|test|settings" >&2; exit 2 ;;
esac
