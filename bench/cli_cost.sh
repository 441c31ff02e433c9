#!/usr/bin/env bash
# The CLI's own cost as a user meets it (issue #7): a whole `actorswarm
# service ls` process against a daemon holding 50 tasks. Starts the first
# build's daemon on a temp data dir, its own socket and a free 127.0.0.1 port,
# `swarm init`, `service create --name web --replicas 50 host sleep 3600`,
# then measures each build's `actorswarm service ls` against that daemon:
#   wall: hyperfine -N (no shell), 20 warm-up runs, RUNS runs: median, p90;
#   CPU:  perf stat -r RUNS: task-clock (CPU time of the CLI process) and
#         page faults, means.
# Builds take turns, ROUNDS times, so load from elsewhere hits them alike.
# Stops the daemon by PID (SIGTERM stops its tasks) and removes the temp dir.
# Usage: bench/cli_cost.sh [BUILD_DIR [OTHER_BUILD_DIR...]]
#   e.g. bench/cli_cost.sh build /path/to/baseline/build
# Knobs: RUNS [100], ROUNDS [3], TASKS [50]. Needs hyperfine and perf
# (apt-get install hyperfine linux-perf). Prints `name value unit` lines,
# one set per build and round.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
builds=("${@:-$root/build}")
runs=${RUNS:-100}
rounds=${ROUNDS:-3}
tasks=${TASKS:-50}
for tool in hyperfine perf python3; do
  command -v "$tool" >/dev/null || { echo "cli_cost.sh: needs $tool" >&2; exit 2; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/clicost.XXXXXX")
export ACTORSWARM_HOST="unix://$dir/ctl.sock"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cli=${builds[0]}/actorswarm
"$cli" daemon --data-dir "$dir/data" --control-addr "$ACTORSWARM_HOST" \
  --listen-addr "127.0.0.1:$port" >"$dir/daemon.log" 2>&1 &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 100); do "$cli" info >/dev/null 2>&1 && break; sleep 0.05; done
"$cli" swarm init --listen-addr "127.0.0.1:$port" --advertise-addr "127.0.0.1:$port" >/dev/null
"$cli" service create --name web --replicas "$tasks" host sleep 3600 >/dev/null
"$cli" service ls | grep -q " $tasks/$tasks " || { echo "cli_cost.sh: tasks not running" >&2; exit 1; }
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg); daemon pid $pid; $tasks tasks"
for round in $(seq 1 "$rounds"); do
  for b in "${builds[@]}"; do
    tag="{build=$b,round=$round}"
    hyperfine -N --warmup 20 --runs "$runs" --export-json "$dir/hf.json" \
      "$b/actorswarm service ls" >/dev/null 2>&1
    python3 - "$dir/hf.json" "$tag" <<'PY'
import json, statistics, sys
t = sorted(x * 1e3 for x in json.load(open(sys.argv[1]))["results"][0]["times"])
p90 = t[min(len(t) - 1, int(round(0.9 * (len(t) - 1))))]
print("cli_service_ls_wall_median%s %.3f ms" % (sys.argv[2], statistics.median(t)))
print("cli_service_ls_wall_p90%s %.3f ms" % (sys.argv[2], p90))
PY
    perf stat -r "$runs" -x, -e task-clock,page-faults "$b/actorswarm" service ls \
      2>"$dir/perf.csv" >/dev/null
    awk -F, -v tag="$tag" '
      $3 == "task-clock" { printf "cli_service_ls_cpu_mean%s %.3f ms\n", tag, $1 }
      $3 == "page-faults" { printf "cli_service_ls_page_faults%s %d faults\n", tag, $1 }
    ' "$dir/perf.csv"
  done
done
