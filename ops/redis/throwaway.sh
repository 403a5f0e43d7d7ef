#!/usr/bin/env bash
# Throwaway Redis on loopback (no persistence), for tests, CI and development. No systemd, no sudo.
#
#   ops/redis/throwaway.sh run [--] CMD ARGS...  start, export REDIS_URL, run CMD, always stop and clean up
#   eval "$(ops/redis/throwaway.sh start)"       start; prints `export REDISTMP=... REDIS_URL=redis://127.0.0.1:PORT ...`
#   ops/redis/throwaway.sh stop [DIR]            stop the server and delete DIR (defaults to $REDISTMP)
#
# Env: REDIS_PORT (default 6390; `auto` = first free port from 6390 up), REDIS_SERVER (default: redis-server on PATH).
# Needs Debian's package: apt-get install -y redis-server
set -euo pipefail

die() { echo "throwaway-redis: $*" >&2; exit 1; }

REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || true)}
[ -n "$REDIS_SERVER" ] && [ -x "$REDIS_SERVER" ] || die "redis-server not found; apt-get install -y redis-server"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PING over bash's /dev/tcp, so redis-cli is not needed. True when the server answers +PONG.
ping_port() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && IFS= read -r -t 2 reply <&3 \
      && [ "${reply%$'\r'}" = "+PONG" ]
  ) 2>/dev/null
}

pick_port() {
  local port=${REDIS_PORT:-6390}
  if [ "$port" = auto ]; then
    port=6390
    while port_busy "$port"; do port=$((port + 1)); [ "$port" -lt 6490 ] || die "no free port in 6390-6489"; done
  elif port_busy "$port"; then
    die "port $port on 127.0.0.1 is already in use; set REDIS_PORT to another port (or REDIS_PORT=auto)"
  fi
  echo "$port"
}

start() {
  local port dir i
  port=$(pick_port) || exit 1
  dir=$(mktemp -d "${TMPDIR:-/tmp}/redistmp.XXXXXX")
  # No persistence at all: the data is disposable. Protected mode stays on (loopback only).
  "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
    || { cat "$dir/redis.log" >&2 2>/dev/null; rm -rf "$dir"; die "redis-server failed to start"; }
  for i in $(seq 1 100); do
    ping_port "$port" && break
    if [ "$i" = 100 ]; then cat "$dir/redis.log" >&2 2>/dev/null; stop "$dir"; die "redis-server is not answering on port $port"; fi
    sleep 0.1
  done
  printf 'export REDISTMP=%q REDIS_URL=%q REDIS_PORT=%q\n' "$dir" "redis://127.0.0.1:$port" "$port"
}

stop() {
  local dir=${1:-${REDISTMP:-}} pid i
  [ -n "$dir" ] || die "stop: give DIR or set REDISTMP"
  if [ -s "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    if kill -TERM "$pid" 2>/dev/null; then
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  case "$(basename "$dir")" in redistmp.*) rm -rf "$dir" ;; *) echo "throwaway-redis: not deleting $dir" >&2 ;; esac
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    [ "$#" -gt 0 ] || die "run: give a command"
    env_line=$(start)
    eval "$env_line"
    trap 'stop "$REDISTMP"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$@"
    ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
