#!/usr/bin/env bash
# Daemon CPU while idle with N running tasks (default 300): starts its own
# daemon on a temp dir, socket and loopback port, creates the tasks, waits for
# them to settle, samples /proc/<pid>/stat over 5 s, then stops the daemon by
# PID (SIGTERM stops its tasks too) and removes the temp dir.
# Usage: bench/idle_cpu.sh [BUILD_DIR] [TASKS]; prints `idle_cpu_ms_per_s N ms`.
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
tasks=${2:-300}
dir=$(mktemp -d)
export ACTORSWARM_HOST="unix://$dir/ctl.sock"
"$build/actorswarm" daemon --data-dir "$dir/data" --control-addr "$ACTORSWARM_HOST" \
  --listen-addr "127.0.0.1:$((20000 + RANDOM % 20000))" >"$dir/daemon.log" 2>&1 &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 100); do "$build/actorswarm" info >/dev/null 2>&1 && break; sleep 0.05; done
"$build/actorswarm" swarm init >/dev/null
"$build/actorswarm" service create -d --replicas "$tasks" --name idle host sleep 3600 >/dev/null
for _ in $(seq 1 200); do
  "$build/actorswarm" service ls | grep -q " $tasks/$tasks " && break; sleep 0.1
done
sleep 2
hz=$(getconf CLK_TCK)
t0=$(awk '{print $14+$15}' "/proc/$pid/stat"); sleep 5
t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
echo "idle_cpu_ms_per_s $(( (t1 - t0) * 1000 / hz / 5 )) ms"
