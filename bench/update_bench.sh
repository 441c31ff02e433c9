#!/usr/bin/env bash
# Rolling updates and stacks, whole process as a user measures them. Starts
# its own daemon on a temp dir, socket and loopback port (services without
# networks or published ports, so nothing is built in this namespace), and
# stops it by PID at the end.
#
# 1. `service update --force` of `host sleep 3600` tasks, update delay 0 and
#    monitor 0, without --detach (the CLI returns once docker's "verify:
#    Service converged" is printed): 20 tasks with parallelism 1 and 100 tasks
#    with parallelism 10. Prints the CLI's wall time, the update's own span
#    (UpdateStatus completed - started) and that span per batch. Docker Swarm
#    on the reference machine: 73.8 s and 45.2 s (the issue's figures).
# 2. `stack deploy` of a 10-service compose file until every task runs, beside
#    `service create` of the same 10 services one by one (each waiting for
#    convergence, as a user typing them would).
#
# Usage: bench/update_bench.sh [BUILD_DIR] [ROUNDS]; prints `name value unit`.
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
rounds=${2:-3}
as="$build/actorswarm"
dir=$(mktemp -d)
export ACTORSWARM_HOST="unix://$dir/ctl.sock"
"$as" daemon --data-dir "$dir/data" --control-addr "$ACTORSWARM_HOST" \
  --listen-addr "127.0.0.1:$((20000 + RANDOM % 20000))" --gateway-subnet none \
  >"$dir/daemon.log" 2>&1 &
pid=$!
# `swarm leave --force` first: it takes the data plane (the netns pin dir
# the stack's network mounted) with it; a SIGTERM alone keeps it to adopt.
cleanup() {
  "$as" swarm leave --force >/dev/null 2>&1 || true
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do "$as" info >/dev/null 2>&1 && break; sleep 0.05; done
"$as" swarm init >/dev/null

now_ms() { date +%s%3N; }

# Waits (bounded) until `service ls` shows every service of the list converged.
wait_running() { # NAME REPLICAS
  for _ in $(seq 1 600); do
    "$as" service ls --filter "name=$1" --format '{{.Replicas}}' | grep -qx "$2/$2" && return 0
    sleep 0.05
  done
  echo "# $1 did not converge" >&2
  return 1
}

# The update's span in the store: UpdateStatus.CompletedAt - StartedAt, ms.
update_span_ms() {
  "$as" service inspect --format '{{.UpdateStatus.StartedAt}} {{.UpdateStatus.CompletedAt}}' "$1" |
    python3 -c '
import sys, datetime
def t(x):
    x = x.rstrip("Z"); s, _, f = x.partition(".")
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S")
    return d.timestamp() + float("0." + (f or "0"))
a, b = sys.stdin.read().split()
print(int((t(b) - t(a)) * 1000))'
}

update_case() { # TASKS PARALLELISM
  local n=$1 p=$2 name="upd$1x$2"
  "$as" service create -d --name "$name" --replicas "$n" --update-parallelism "$p" \
    --update-delay 0s --update-monitor 0s host sleep 3600 >/dev/null
  wait_running "$name" "$n"
  local best_wall=0 best_span=0
  for r in $(seq 1 "$rounds"); do
    local t0 t1 span
    t0=$(now_ms)
    "$as" service update --force "$name" >"$dir/update.out"
    t1=$(now_ms)
    grep -q "Service converged" "$dir/update.out" || { cat "$dir/update.out" >&2; return 1; }
    span=$(update_span_ms "$name")
    echo "# round $r: wall $((t1 - t0)) ms, update span $span ms"
    if [ "$best_wall" = 0 ] || [ $((t1 - t0)) -lt "$best_wall" ]; then best_wall=$((t1 - t0)); fi
    if [ "$best_span" = 0 ] || [ "$span" -lt "$best_span" ]; then best_span=$span; fi
  done
  local batches=$(((n + p - 1) / p))
  echo "update_${n}_tasks_par_${p}_wall $best_wall ms"
  echo "update_${n}_tasks_par_${p}_span $best_span ms"
  awk -v s="$best_span" -v b="$batches" -v n="update_${n}_tasks_par_${p}_per_batch" \
    'BEGIN { printf "%s %.1f ms\n", n, s / b }'
  "$as" service rm "$name" >/dev/null
}

update_case 20 1
update_case 100 10

# ---------------------------------------------------------------- stacks
compose="$dir/stack.yml"
{
  echo "version: '3.8'"
  echo "services:"
  for i in $(seq 1 10); do
    printf '  s%d:\n    image: host\n    command: sleep 3600\n    deploy:\n      replicas: 3\n' "$i"
  done
} >"$compose"
wait_stack() {
  for _ in $(seq 1 600); do
    [ "$("$as" stack services "$1" --format '{{.Replicas}}' | grep -cx '3/3')" = 10 ] && return 0
    sleep 0.05
  done
  echo "# stack $1 did not converge" >&2
  return 1
}
t0=$(now_ms)
"$as" stack deploy -c "$compose" bst >/dev/null 2>&1
wait_stack bst
t1=$(now_ms)
echo "stack_deploy_10_services $((t1 - t0)) ms"
"$as" stack rm bst >/dev/null
t0=$(now_ms)
for i in $(seq 1 10); do
  "$as" service create --name "one_s$i" --replicas 3 host sleep 3600 >/dev/null
done
t1=$(now_ms)
echo "service_create_10_one_by_one $((t1 - t0)) ms"
for i in $(seq 1 10); do "$as" service rm "one_s$i" >/dev/null; done
