#!/usr/bin/env bash
# Sourced by quickstart.sh (and usable on its own): makes sure PostgreSQL and Redis are reachable.
# When DATABASE_URL / REDIS_URL are set they are used as they are. When unset, project-local
# instances are started under ./.data on their own ports (never a system instance), installing
# the Debian packages first if the binaries are missing. Idempotent: a second run reuses them.
# Run as root, PostgreSQL runs as the `postgres` user (it refuses root), who must be able to enter
# every folder above its data; when it cannot (a clone under root's 0700 home), the data lives in
# $SB_PG_STATE/<hash of the .data path>/pg (default /var/lib/switchboard) and .data/pg links to it.
set -euo pipefail

SB_ROOT="${SB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SB_DATA="${SB_DATA:-$SB_ROOT/.data}"
SB_PG_PORT="${SB_PG_PORT:-54329}"
SB_REDIS_PORT="${SB_REDIS_PORT:-63799}"
SB_PG_STATE="${SB_PG_STATE:-/var/lib/switchboard}"
mkdir -p "$SB_DATA"

sb_log() { echo "[switchboard] $*" >&2; }

sb_sudo() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    sb_log "need root or sudo to run: $*"; return 1; fi
}

SB_APT_UPDATED=""
sb_apt_install() {
  if [ -z "$SB_APT_UPDATED" ]; then sb_sudo apt-get update -qq >&2; SB_APT_UPDATED=1; fi
  sb_log "installing Debian packages: $*"
  sb_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

sb_pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

# Run a command as the unprivileged owner of the PostgreSQL data (postgres refuses to run as root),
# from / (the caller's folder may be closed to that user).
sb_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    (cd / && runuser -u postgres -- "$@")
  else "$@"; fi
}

# Where the PostgreSQL data is (printed on stdout): .data/pg, or where the link .data/pg points.
# Root only: when `postgres` cannot enter .data (a folder above is private), a new cluster goes to
# $SB_PG_STATE/<hash of the .data path>/pg instead; an existing cluster in .data/pg stays there.
sb_pg_dir() {
  local here="$SB_DATA/pg"
  if [ -L "$here" ]; then readlink "$here"; return 0; fi
  if [ "$(id -u)" -ne 0 ] || [ -s "$here/PG_VERSION" ] || sb_pg_user test -x "$SB_DATA" 2>/dev/null; then
    echo "$here"; return 0
  fi
  echo "$SB_PG_STATE/$(cd "$SB_DATA" && pwd -P | sha256sum | cut -c1-16)/pg"
}

sb_start_postgres() {
  local bindir pgdata here="$SB_DATA/pg" sockets
  bindir="$(sb_pg_bindir)" || { sb_apt_install postgresql; bindir="$(sb_pg_bindir)"; }
  pgdata="$(sb_pg_dir)"
  if [ "$(id -u)" -eq 0 ] && [ -d "$(dirname "$pgdata")" ] && ! sb_pg_user test -x "$(dirname "$pgdata")" 2>/dev/null; then
    # An existing cluster in .data/pg that `postgres` cannot reach (made before a folder above it
    # became private): never moved behind the user's back.
    sb_log "PostgreSQL data in $pgdata cannot be used: the postgres user cannot enter" \
      "$(dirname "$pgdata") (a private folder above it, such as a 0700 home). Let it in" \
      "(chmod o+x on those folders), or move the data out and link .data/pg to it, then run this again."
    return 1
  fi
  if [ ! -s "$pgdata/PG_VERSION" ]; then
    sb_log "initialising PostgreSQL in $pgdata"
    if [ "$pgdata" != "$here" ] && [ ! -L "$here" ]; then
      # Outside the project (see sb_pg_dir): a folder `postgres` can reach, noted with the project it
      # belongs to, and .data/pg pointing at it so every later run (and `stop`) finds it again.
      install -d -m 755 "$SB_PG_STATE" "$(dirname "$pgdata")"
      echo "$SB_DATA" > "$(dirname "$pgdata")/project"
      rmdir "$here" 2>/dev/null || true # the empty folder a failed run as root left behind
      ln -sT "$pgdata" "$here"
      sb_log "$here links to $pgdata (the postgres user cannot enter $SB_DATA)"
    fi
    mkdir -p "$pgdata"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$pgdata" && chmod 700 "$pgdata"
    sb_pg_user "$bindir/initdb" -D "$pgdata" -U switchboard --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    # The unix socket sits with the data (reachable by whoever runs the server) unless that path is
    # too long for a socket address (108 bytes); clients here use TCP anyway.
    sockets="$pgdata"; [ "${#pgdata}" -le 90 ] || sockets=""
    # Tuned for tests and small installs on one machine; durable enough for the quick start.
    cat >> "$pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $SB_PG_PORT
unix_socket_directories = '$sockets'
max_connections = 300
shared_buffers = 256MB
fsync = ${SB_PG_FSYNC:-on}
synchronous_commit = ${SB_PG_SYNC_COMMIT:-on}
CONF
  fi
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$pgdata"
  if ! sb_pg_user "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    sb_log "starting PostgreSQL on 127.0.0.1:$SB_PG_PORT"
    sb_pg_user "$bindir/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 start >/dev/null \
      || { sb_log "PostgreSQL did not start; its log: $pgdata/server.log"; return 1; }
  fi
  local i
  for i in $(seq 1 60); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$SB_PG_PORT" && break; sleep 0.5
  done
  if ! "$bindir/psql" -h 127.0.0.1 -p "$SB_PG_PORT" -U switchboard -d postgres -tAc \
      "select 1 from pg_database where datname='switchboard'" | grep -q 1; then
    "$bindir/createdb" -h 127.0.0.1 -p "$SB_PG_PORT" -U switchboard switchboard
  fi
  export DATABASE_URL="postgres://switchboard@127.0.0.1:$SB_PG_PORT/switchboard"
}

sb_start_redis() {
  command -v redis-server >/dev/null || sb_apt_install redis-server
  local dir="$SB_DATA/redis"
  mkdir -p "$dir"
  if ! redis-cli -p "$SB_REDIS_PORT" ping >/dev/null 2>&1; then
    sb_log "starting Redis on 127.0.0.1:$SB_REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$SB_REDIS_PORT" --dir "$dir" --daemonize yes \
      --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" --appendonly yes \
      --maxmemory-policy noeviction >/dev/null
    local i
    for i in $(seq 1 40); do redis-cli -p "$SB_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.25; done
  fi
  export REDIS_URL="redis://127.0.0.1:$SB_REDIS_PORT"
}

sb_stack() {
  if [ -z "${DATABASE_URL:-}" ]; then sb_start_postgres; SB_LOCAL_PG=1; else sb_log "using DATABASE_URL"; fi
  if [ -z "${REDIS_URL:-}" ]; then sb_start_redis; SB_LOCAL_REDIS=1; else sb_log "using REDIS_URL"; fi
  export SB_LOCAL_PG="${SB_LOCAL_PG:-}" SB_LOCAL_REDIS="${SB_LOCAL_REDIS:-}"
}

sb_stop() {
  local bindir pgdata
  pgdata="$(sb_pg_dir)"
  if bindir="$(sb_pg_bindir)" && [ -s "$pgdata/PG_VERSION" ]; then
    sb_pg_user "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  redis-cli -p "$SB_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-start}" in
    start) sb_stack; echo "DATABASE_URL=$DATABASE_URL"; echo "REDIS_URL=$REDIS_URL" ;;
    stop) sb_stop ;;
    *) echo "usage: scripts/stack.sh [start|stop]" >&2; exit 2 ;;
  esac
fi
