#!/usr/bin/env bash
# The two quick-start commands:
#   npm start  ->  scripts/quickstart.sh run   install what is missing, bootstrap, run `switchboard all`
#   npm test   ->  scripts/quickstart.sh test  the same bootstrap, then every test
# Needs only Node 20+ and (for missing PostgreSQL/Redis/Chromium) root or sudo on Debian/Ubuntu.
# With DATABASE_URL / REDIS_URL set, those servers are used and nothing is started.
set -euo pipefail
SB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$SB_ROOT"
mode="${1:-run}"
shift || true

# shellcheck source=scripts/stack.sh
source "$SB_ROOT/scripts/stack.sh"

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then sb_log "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))"; exit 1; fi

# npm dependencies: installed once, again only when package-lock.json changes.
stamp="node_modules/.switchboard-lock-hash"
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  sb_log "installing npm dependencies"
  # npm ci needs every optional platform package in the lock; where the registry lacks one
  # (msgpackr-extract's, for other platforms), npm install with the same lock does the job.
  npm ci --no-audit --no-fund --loglevel=error >&2 2>/dev/null \
    || npm install --no-audit --no-fund --loglevel=error >&2
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

case "$mode" in
  run)
    sb_log "building"
    npm run --silent build >&2
    node dist/src/cli.js migrate
    node dist/src/cli.js demo
    sb_log "starting switchboard all on $PUBLIC_URL"
    exec node dist/src/cli.js all
    ;;
  test)
    if [ "${SB_SKIP_BROWSER:-}" != "1" ] && ! command -v chromium >/dev/null; then sb_apt_install chromium; fi
    sb_log "type-checking"
    npm run --silent typecheck
    sb_log "running tests"
    exec npx vitest run "$@"
    ;;
  *)
    echo "usage: scripts/quickstart.sh run|test" >&2; exit 2 ;;
esac
