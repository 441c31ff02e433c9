#!/usr/bin/env bash
# write_path.sh — the benchmarks to re-run before a change to the write path
# (Raft, durable log, store, transport) lands (issue #9): three consecutive
# runs of raft_bench.sh (3 managers vs a 3-member etcd in the same run, 1 and
# 64 clients) with the join of a manager into a swarm of 100k tasks, then one
# summary line per run. Every run must be at or above etcd at 1 and at 64
# clients, and the joiner caught up in under 5 s.
#
# Usage: bench/write_path.sh [BUILD_DIR] [RUNS]      (default build, 3)
# Knobs: RAFTBENCH_DURATION [10] seconds per write load (raft_bench.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
runs=${2:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/writepath.XXXXXX")
trap 'rm -rf "$work"' EXIT
rc=0
for i in $(seq 1 "$runs"); do
  echo "# run $i of $runs: raft_bench.sh --parts writes,join" >&2
  RAFTBENCH_ETCD_TRIALS=1 "$root/bench/raft_bench.sh" "$build" --parts writes,join \
    >"$work/run$i.txt" || rc=$?
done
printf "%-4s %14s %14s %8s %14s %14s %8s %12s\n" run "1c as ops/s" "1c etcd ops/s" ratio \
  "64c as ops/s" "64c etcd ops/s" ratio "join ms"
fail=0
for i in $(seq 1 "$runs"); do
  awk -v run="$i" '
    $1 == "etcd_n3_put_c1_ops_per_s" { e1 = $2 }
    $1 == "etcd_n3_put_c64_ops_per_s" { e64 = $2 }
    $1 == "as_n3_put_c1_ops_per_s" { a1 = $2 }
    $1 == "as_n3_put_c64_ops_per_s" { a64 = $2 }
    $1 == "join_catchup_ms" { j = $2 }
    END {
      r1 = e1 > 0 ? a1 / e1 : 0; r64 = e64 > 0 ? a64 / e64 : 0
      printf "%-4s %14.0f %14.0f %8.2f %14.0f %14.0f %8.2f %12.0f\n", run, a1, e1, r1, a64, e64, r64, j
      exit (r1 >= 1 && r64 >= 1 && j > 0 && j < 5000) ? 0 : 1
    }' "$work/run$i.txt" || fail=1
done
if [ "$fail" != 0 ]; then
  echo "write_path.sh: a run is below etcd or the join took 5 s or more" >&2
  rc=1
fi
exit "$rc"
