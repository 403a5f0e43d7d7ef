#!/usr/bin/env bash
# Throwaway PostgreSQL cluster on loopback, for tests, CI and development. No systemd, no sudo.
# Works as root (the server runs as the 'postgres' OS user through runuser) or as a normal user.
#
#   ops/postgres/throwaway.sh run [--] CMD ARGS...  start, export DATABASE_URL etc., run CMD, always stop and clean up
#   eval "$(ops/postgres/throwaway.sh start)"       start; prints `export PGTMP=... DATABASE_URL=... PGHOST=... PGPORT=...`
#   ops/postgres/throwaway.sh createdb NAME         create one more database on the running cluster ($PGPORT); prints its URL
#   ops/postgres/throwaway.sh stop [DIR]            stop the server and delete DIR (defaults to $PGTMP)
#
# Env: PGPORT (default 54329; `auto` = first free port from 54329 up), PGDB (default parley_test),
#      PG_MAX_CONNECTIONS (default 200),
#      PG_BIN (default /usr/lib/postgresql/15/bin if present, else the newest /usr/lib/postgresql/*/bin).
# Needs Debian's server package: apt-get install -y postgresql  (PostgreSQL 15 on bookworm).
set -euo pipefail

die() { echo "throwaway-pg: $*" >&2; exit 1; }

resolve_pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  # Prefer 15 (what production runs); /usr/local/bin/pg_ctl symlinks exist on some machines only.
  if [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then echo /usr/lib/postgresql/15/bin; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1
}
PG_BIN=$(resolve_pg_bin)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/pg_ctl" ] \
  || die "no PostgreSQL server found under /usr/lib/postgresql/*/bin; apt-get install -y postgresql"

DB=${PGDB:-parley_test}

is_root() { [ "$(id -u)" = 0 ]; }
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local port=${PGPORT:-54329}
  if [ "$port" = auto ]; then
    port=54329
    while port_busy "$port"; do port=$((port + 1)); [ "$port" -lt 54429 ] || die "no free port in 54329-54428"; done
  elif port_busy "$port"; then
    die "port $port on 127.0.0.1 is already in use; set PGPORT to another port (or PGPORT=auto)"
  fi
  echo "$port"
}

start() {
  local port dir parent
  PGPORT_REQUESTED=${PGPORT:-}
  port=$(pick_port) || exit 1
  # libpq and the server read PGPORT themselves (PGPORT=auto would break initdb).
  export PGPORT=$port
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user; apt-get install -y postgresql"
    # The 'postgres' user must be able to traverse the parent (TMPDIR may be under /root).
    parent=/tmp
  else
    parent=${TMPDIR:-/tmp}
  fi
  dir=$(mktemp -d "$parent/pgtmp.XXXXXX")
  if is_root; then chown postgres: "$dir"; fi

  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
  # -k: socket in our own dir (/var/run/postgresql does not exist without the service).
  # fsync and friends off: the data is disposable. max_connections: parallel test workers each open a pool.
  # With PGPORT=auto, a port that looked free can still be taken when the server binds (another server starting,
  # a client's ephemeral port): try the next free one, a few times.
  local attempt
  for attempt in 1 2 3 4 5; do
    if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=${PG_MAX_CONNECTIONS:-200} -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      break
    fi
    if [ "${PGPORT_REQUESTED:-}" = auto ] && [ "$attempt" -lt 5 ] && grep -q 'Address already in use' "$dir/server.log"; then
      port=$((port + 1))
      while port_busy "$port"; do port=$((port + 1)); done
      export PGPORT=$port
      : >"$dir/server.log"
      continue
    fi
    cat "$dir/server.log" >&2; stop "$dir"; die "the server did not start"
  done

  # pg_ctl -w already waited; make sure TCP on loopback answers too before we hand out the URL.
  local i
  for i in $(seq 1 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
    [ "$i" = 60 ] && { cat "$dir/server.log" >&2; stop "$dir"; die "the server is not accepting connections"; }
    sleep 0.5
  done

  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB" \
    || { stop "$dir"; die "createdb $DB failed"; }

  printf 'export PGTMP=%q DATABASE_URL=%q PGHOST=127.0.0.1 PGPORT=%q PGUSER=postgres PGDATABASE=%q\n' \
    "$dir" "postgres://postgres@127.0.0.1:$port/$DB" "$port" "$DB"
}

createdb_cmd() {
  local name=${1:?usage: throwaway.sh createdb NAME}
  local port=${PGPORT:?set PGPORT (eval the output of start first)}
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$name" || die "createdb $name failed"
  echo "postgres://postgres@127.0.0.1:$port/$name"
}

stop() {
  local dir=${1:-${PGTMP:-}}
  [ -n "$dir" ] || die "stop: give DIR or set PGTMP"
  if [ -d "$dir/data" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  # Only ever delete what start created.
  case "$(basename "$dir")" in pgtmp.*) rm -rf "$dir" ;; *) echo "throwaway-pg: not deleting $dir" >&2 ;; esac
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  createdb) createdb_cmd "${2:-}" ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    [ "$#" -gt 0 ] || die "run: give a command"
    env_line=$(start)
    eval "$env_line"
    trap 'stop "$PGTMP"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$@"
    ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
