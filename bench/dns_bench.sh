#!/usr/bin/env bash
# dns_bench.sh — actorswarm's embedded DNS server against dnsmasq, same names,
# same dnsperf load, same run (../shared/bench/dns.sh; see its --help).
#
# Steps: dns.sh --names-out writes the data set (DNSBENCH_RECORDS names
# svc-<i>.actorswarm -> 127.100.x.y and the query file); bench/dns_bench
# (net/dns/server.hpp with those names as vip services of one network) serves
# them on 127.0.0.1:DNSBENCH_OURS_PORT; then DNSBENCH_ROUNDS rounds, each: dns.sh
# --target runs the dnsperf load against it (figures target_*), then dns.sh runs
# the identical load against dnsmasq (figures dnsmasq_*), so a drifting machine
# load hits both alike. Per round and as the median over rounds: ratios
# ours/dnsmasq of queries per second and p99 latency, UDP and TCP, full speed
# and light load. The load average before and after is printed too.
#
# Knobs: DNSBENCH_* as in dns.sh (they apply to both runs), and
#   DNSBENCH_OURS_PORT [15354]   our server's port on 127.0.0.1
#   DNSBENCH_ROUNDS [3]          interleaved rounds (ours, then dnsmasq)
#   AS_BUILD_DIR [<repo>/build]  where bench/dns_bench was built
#   AS_SHARED_BENCH              dns.sh's directory (default: ../shared/bench
#                                of the repo, else /work/shared/bench)
# Usage: bench/dns_bench.sh            (about 75 s per round)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${AS_BUILD_DIR:-$root/build}"
shared="${AS_SHARED_BENCH:-$root/../shared/bench}"
[ -x "$shared/dns.sh" ] || shared=/work/shared/bench
[ -x "$shared/dns.sh" ] || { echo "# ERROR: dns.sh not found (set AS_SHARED_BENCH)" >&2; exit 1; }
bin="$build/dns_bench"
[ -x "$bin" ] || { echo "# ERROR: $bin missing: cmake --build $build --target dns_bench" >&2; exit 1; }
port="${DNSBENCH_OURS_PORT:-15354}"
rounds="${DNSBENCH_ROUNDS:-3}"

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

ratios() { # FILE...: ours/dnsmasq ratios of the figures in FILE...
  cat "$@" | awk -v pre="$RATIO_PREFIX" '
    { v[$1] = $2 }
    END {
      n = split("udp_qps tcp_qps udp_p99_latency_ms tcp_p99_latency_ms udp_light_p99_latency_ms tcp_light_p99_latency_ms", ks, " ")
      for (i = 1; i <= n; i++) {
        k = ks[i]; t = v["target_" k]; d = v["dnsmasq_" k]
        if (t != "" && d != "" && d + 0 > 0) printf "%sratio_%s %.3f ours/dnsmasq\n", pre, k, t / d
      }
    }'
}
for r in $(seq 1 "$rounds"); do
  echo "# round $r of $rounds" >&2
  "$shared/dns.sh" --target "127.0.0.1:$port" | sed "s/^/round${r}_/" | tee "$work/ours.$r.txt"
  "$shared/dns.sh" | sed "s/^/round${r}_/" | tee "$work/dnsmasq.$r.txt"
  sed "s/^round${r}_//" "$work/ours.$r.txt" "$work/dnsmasq.$r.txt" >"$work/both.$r.txt"
  RATIO_PREFIX="round${r}_" ratios "$work/both.$r.txt" | tee "$work/ratios.$r.txt"
done
kill -TERM "$pid"
wait "$pid" || true
pid=""
grep -v ready "$work/ours.out" || true
echo "loadavg_after $(cut -d' ' -f1 /proc/loadavg) load"

# medians over the rounds: figures and ratios
cat "$work"/both.*.txt "$work"/ratios.*.txt | sed 's/^round[0-9]*_//' | awk '
  $1 ~ /(qps|p99_latency_ms|p50_latency_ms|lost_pct)$/ || $1 ~ /^ratio_/ { v[$1] = v[$1] " " $2; u[$1] = $3 }
  END {
    for (k in v) {
      n = split(v[k], xs, " "); 
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (xs[j] + 0 < xs[i] + 0) { t = xs[i]; xs[i] = xs[j]; xs[j] = t }
      m = (n % 2) ? xs[(n + 1) / 2] : (xs[n / 2] + xs[n / 2 + 1]) / 2
      printf "median_%s %s %s\n", k, m, u[k]
    }
  }' | sort
