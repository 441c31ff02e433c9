#!/usr/bin/env bash
# dns_bench.sh — actorswarm's embedded DNS server against dnsmasq, same names,
# same dnsperf load, same run (../shared/bench/dns.sh; see its --help).
#
# Steps: dns.sh --names-out writes the data set (DNSBENCH_RECORDS names
# svc-<i>.actorswarm -> 127.100.x.y and the query file); bench/dns_bench
# (net/dns/server.hpp with those names as vip services of one network) serves
# them on 127.0.0.1:DNSBENCH_OURS_PORT; dns.sh --target runs the dnsperf load
# against it (figures target_*), then dns.sh runs the identical load against
# dnsmasq (figures dnsmasq_*). Then ratios: ours/dnsmasq queries per second
# and p99 latency, UDP and TCP, full speed and light load. The load average
# before and after is printed too (the figures drift on a busy machine).
#
# Knobs: DNSBENCH_* as in dns.sh (they apply to both runs), and
#   DNSBENCH_OURS_PORT [15354]   our server's port on 127.0.0.1
#   AS_BUILD_DIR [<repo>/build]  where bench/dns_bench was built
#   AS_SHARED_BENCH              dns.sh's directory (default: ../shared/bench
#                                of the repo, else /work/shared/bench)
# Usage: bench/dns_bench.sh            (about 75 s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${AS_BUILD_DIR:-$root/build}"
shared="${AS_SHARED_BENCH:-$root/../shared/bench}"
[ -x "$shared/dns.sh" ] || shared=/work/shared/bench
[ -x "$shared/dns.sh" ] || { echo "# ERROR: dns.sh not found (set AS_SHARED_BENCH)" >&2; exit 1; }
bin="$build/dns_bench"
[ -x "$bin" ] || { echo "# ERROR: $bin missing: cmake --build $build --target dns_bench" >&2; exit 1; }
port="${DNSBENCH_OURS_PORT:-15354}"

work=$(mktemp -d "${TMPDIR:-/tmp}/as-dns-bench.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "loadavg_before $(cut -d' ' -f1 /proc/loadavg) load"
"$shared/dns.sh" --names-out "$work/names" >/dev/null
"$bin" --mapping "$work/names/mapping.tsv" --listen "127.0.0.1:$port" >"$work/ours.out" &
pid=$!
for _ in $(seq 1 100); do
  grep -q ready "$work/ours.out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "# ERROR: dns_bench exited" >&2; exit 1; }
  sleep 0.1
done
grep -q ready "$work/ours.out" || { echo "# ERROR: dns_bench not ready" >&2; exit 1; }

"$shared/dns.sh" --target "127.0.0.1:$port" | tee "$work/ours.txt"
"$shared/dns.sh" | tee "$work/dnsmasq.txt"
kill -TERM "$pid"
wait "$pid" || true
pid=""
grep -v ready "$work/ours.out" || true
echo "loadavg_after $(cut -d' ' -f1 /proc/loadavg) load"

# ratios, ours / dnsmasq
cat "$work/ours.txt" "$work/dnsmasq.txt" | awk '
  { v[$1] = $2 }
  END {
    n = split("udp_qps tcp_qps udp_p99_latency_ms tcp_p99_latency_ms udp_light_p99_latency_ms tcp_light_p99_latency_ms", ks, " ")
    for (i = 1; i <= n; i++) {
      k = ks[i]; t = v["target_" k]; d = v["dnsmasq_" k]
      if (t != "" && d != "" && d + 0 > 0) printf "ratio_%s %.3f ours/dnsmasq\n", k, t / d
    }
  }'
