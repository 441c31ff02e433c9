#!/usr/bin/env bash
# join_latency.sh — issue #8: how long a join takes, token to Ready, for a
# worker and for a manager, with whole processes as a user runs them.
#
# Per trial: a fresh one-manager swarm (daemon 1 on 127.0.0.1) and a fresh
# daemon 2 (127.0.0.2); the clock starts before `swarm join` is exec'd and
# stops when daemon 1's `node ls` shows daemon 2 Ready (polled every 2 ms,
# bounded at 10 s). Prints the median and max of each kind, and the join
# command's own time.
#
# Usage: bench/join_latency.sh [BUILD_DIR] [TRIALS]   (default build, 10)
# Compare two builds (e.g. before issue #8) by running it on each.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
trials=${2:-10}
bin=$build/actorswarm
work=$(mktemp -d "${TMPDIR:-/tmp}/joinlat.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"; }
cli() { local i=$1; shift; "$bin" -H "unix://$work/t/c$i.sock" "$@"; }

start() { # start daemon $1 on 127.0.0.$1
  local i=$1 port
  port=$(free_port "127.0.0.$i")
  "$bin" daemon --data-dir "$work/t/d$i" --control-addr "unix://$work/t/c$i.sock" \
    --listen-addr "127.0.0.$i:$port" >"$work/t/log$i" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 500); do cli "$i" info >/dev/null 2>&1 && return 0; sleep 0.01; done
  echo "daemon $i did not start" >&2; return 1
}

trial() { # $1 = worker|manager; prints "total_ms join_ms"
  rm -rf "$work/t"; mkdir -p "$work/t"; pids=()
  start 1; start 2
  cli 1 swarm init >/dev/null
  local token addr t0 t1 t2 id
  token=$(cli 1 swarm join-token -q "$1")
  addr=$(cli 1 info | awk '/Node Address:/ {print $3}')
  t0=$(now_ms)
  cli 2 swarm join --token "$token" "$addr" >/dev/null
  t1=$(now_ms)
  id=$(cli 2 info | awk '/NodeID:/ {print $2}')
  for _ in $(seq 1 5000); do
    cli 1 node ls --format '{{.ID}} {{.Status}}' | grep -q "^$id Ready" && break
    sleep 0.002
  done
  t2=$(now_ms)
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "$((t2 - t0)) $((t1 - t0))"
}

stats() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms, max %d ms", a[int((NR+1)/2)], a[NR]}'; }
for kind in worker manager; do
  : >"$work/$kind"
  for _ in $(seq 1 "$trials"); do trial "$kind" >>"$work/$kind"; done
  echo "join as $kind, token to Ready: $(cut -d' ' -f1 "$work/$kind" | stats); the join command: $(cut -d' ' -f2 "$work/$kind" | stats) ($trials trials)"
done
