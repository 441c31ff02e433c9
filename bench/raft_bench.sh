#!/usr/bin/env bash
# raft_bench.sh — issue #3 benchmarks side by side with etcd 3.4 in one job.
#
# Runs ../shared/bench/etcd.sh (3-member cluster only) and then
# BUILD/raft_bench (3 actorswarm managers on 127.0.0.1) one after the other,
# never at the same time, with the same value size (256 B), the same client
# counts (1 and 64) and the same election timing (etcd 1000 ms / 100 ms
# heartbeat; actorswarm's defaults, 10 ticks of 100 ms / 1 tick), then prints
# every figure of both and a ratio table (actorswarm / etcd).
#
# Usage: bench/raft_bench.sh [BUILD_DIR] [raft_bench args...]
#   BUILD_DIR        where raft_bench and actorswarm are (default build)
# Knobs (environment):
#   RAFTBENCH_DURATION [10]     seconds per write load, both systems
#   RAFTBENCH_ETCD_TRIALS [10]  etcd kill -9 failover trials
#   RAFTBENCH_ETCD [../shared/bench/etcd.sh relative to the repo]
#   RAFTBENCH_SKIP_ETCD=1       reuse RAFTBENCH_ETCD_OUT (a saved etcd.sh stdout)
# Example (quick): RAFTBENCH_DURATION=3 RAFTBENCH_ETCD_TRIALS=3 \
#   bench/raft_bench.sh build --parts writes,failover --trials 3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
duration=${RAFTBENCH_DURATION:-10}
etcd=${RAFTBENCH_ETCD:-$root/../shared/bench/etcd.sh}
work=$(mktemp -d "${TMPDIR:-/tmp}/raftbenchsh.XXXXXX")
rc=0
trap 'rm -rf "$work"' EXIT

if [ "${RAFTBENCH_SKIP_ETCD:-}" = 1 ]; then
  cp "${RAFTBENCH_ETCD_OUT:?set RAFTBENCH_ETCD_OUT}" "$work/etcd.txt"
else
  echo "# etcd.sh (3 members, ${duration} s per load)" >&2
  ETCDBENCH_CLUSTERS=3 ETCDBENCH_DURATION="$duration" \
    ETCDBENCH_FAILOVER_TRIALS="${RAFTBENCH_ETCD_TRIALS:-10}" \
    "$etcd" >"$work/etcd.txt" || { rc=$?; echo "# etcd.sh failed ($rc)" >&2; }
fi
echo "# raft_bench --duration $duration $*" >&2
"$build/raft_bench" --duration "$duration" "$@" >"$work/as.txt" \
  || { rc=$?; echo "# raft_bench failed ($rc); its figures so far follow" >&2; }
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

cat "$work/etcd.txt" "$work/as.txt"
echo
# Ratio table: actorswarm / etcd, with which direction is better.
awk '
  FNR == NR { e[$1] = $2; next }
  { a[$1] = $2; if ($1 ~ /^mem_.*_rss_kb$/) { k = $1; sub(/_kb$/, "_mb", k); a[k] = $2 / 1024 } }
  function row(label, an, en, better) {
    if (!(an in a) || !(en in e) || e[en] == 0) return
    printf "%-34s %12.2f %12.2f %8.2f   %s\n", label, a[an], e[en], a[an] / e[en], better
  }
  END {
    printf "%-34s %12s %12s %8s   %s\n", "figure", "actorswarm", "etcd", "ratio", "better"
    row("put 1 client ops/s", "as_n3_put_c1_ops_per_s", "etcd_n3_put_c1_ops_per_s", "higher")
    row("put 1 client p50 ms", "as_n3_put_c1_p50_ms", "etcd_n3_put_c1_p50_ms", "lower")
    row("put 1 client p99 ms", "as_n3_put_c1_p99_ms", "etcd_n3_put_c1_p99_ms", "lower")
    row("put 64 clients ops/s", "as_n3_put_c64_ops_per_s", "etcd_n3_put_c64_ops_per_s", "higher")
    row("put 64 clients p50 ms", "as_n3_put_c64_p50_ms", "etcd_n3_put_c64_p50_ms", "lower")
    row("put 64 clients p99 ms", "as_n3_put_c64_p99_ms", "etcd_n3_put_c64_p99_ms", "lower")
    row("fwd put 1 client ops/s", "as_n3_fwd_put_c1_ops_per_s", "etcd_n3_put_c1_ops_per_s", "higher")
    row("fwd put 64 clients ops/s", "as_n3_fwd_put_c64_ops_per_s", "etcd_n3_put_c64_ops_per_s", "higher")
    row("kill -9: new leader ms, median", "as_n3_failover_leader_ms_median", "etcd_n3_failover_leader_ms_median", "lower")
    row("kill -9: write ok ms, median", "as_n3_failover_write_ms_median", "etcd_n3_failover_put_ms_median", "lower")
    row("kill -9: write ok ms, max", "as_n3_failover_write_ms_max", "etcd_n3_failover_put_ms_max", "lower")
    print ""
    printf "%-34s %12s %12s   %s\n", "issue #3 target", "actorswarm", "target", "met"
    goal("kill -9: write ok ms, median", "as_n3_failover_write_ms_median", 300)
    goal("SIGSTOP: write ok ms, median", "as_n3_stopfail_write_ms_median", 1500)
    goal("join 100k tasks: caught up ms", "join_catchup_ms", 5000)
    goal("10k nodes 1M tasks: RSS MB", "mem_store_rss_mb", 2048)
    goal("... peak with a snapshot: MB", "mem_peak_rss_mb", 2048)
  }
  function goal(label, an, limit) {
    if (!(an in a)) return
    printf "%-34s %12.1f %12s   %s\n", label, a[an], "< " limit, (a[an] >= 0 && a[an] < limit) ? "yes" : "NO"
  }' "$work/etcd.txt" "$work/as.txt"
exit "$rc"
