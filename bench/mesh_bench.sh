#!/usr/bin/env bash
# mesh_bench.sh — the routing mesh's kernel path (our nftables rules, issue #10)
# against HAProxy in TCP mode over the same nginx backends, loaded by wrk, in
# network namespaces this script creates (never the host's own; they vanish
# with the processes that hold them).
#
# Part 1, "loopback": ../shared/bench/l4proxy.sh --target 127.0.0.1:18443 runs
#   inside a fresh namespace where nft_mesh_rules installed our host table's
#   local-client rule (ct mark + numgen DNAT in the output hook) for
#   127.0.0.1:18443 -> its three backends 127.0.0.1:18081..18083, plus a SNAT
#   to 127.0.0.2 (the mesh's second translation, and it keeps wrk's source
#   ports clear of the backends' TIME_WAIT sockets from the direct runs):
#   direct, HAProxy and our NAT in one run, same backends, same wrk.
# Part 2, "mesh": the whole ingress path, as on a node: a client namespace
#   -> the node's namespace (render_host: DNAT to the sandbox, forward) ->
#   the ingress sandbox (render_sandbox: DNAT to a task + masquerade) -> a
#   bridge namespace -> three task namespaces, each with nginx on :80. wrk in
#   the client against the published port 192.168.50.1:8000, against HAProxy
#   (mode tcp, roundrobin) on the node at 192.168.50.1:18000 forwarding to the
#   same three tasks over the same sandbox hop, and straight to one task.
#
# Usage: bench/mesh_bench.sh [BUILD_DIR]   (needs root; default build/)
# Knobs: MESHBENCH_PARTS ["loopback mesh"], MESHBENCH_DURATION [5] s per run,
#        MESHBENCH_ROUNDS [3] (figures are medians), MESHBENCH_CONNS [64],
#        MESHBENCH_THREADS [2]; the loopback part takes l4proxy.sh's L4BENCH_*.
# Output: "name value unit" lines on stdout, progress as "# ..." on stderr.
# Conntrack keeps closed connections 120 s (TIME_WAIT) by default; with a new
# connection per request that fills the table, so both parts set
# nf_conntrack_tcp_timeout_time_wait=1 in their namespaces (per namespace).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
tool="$build/nft_mesh_rules"
l4="${L4PROXY_SH:-}"
for c in "$root/../shared/bench/l4proxy.sh" "$root/../../shared/bench/l4proxy.sh"; do
  [ -n "$l4" ] || [ ! -x "$c" ] || l4="$c"
done
parts="${MESHBENCH_PARTS:-loopback mesh}"
duration="${MESHBENCH_DURATION:-5}"
rounds="${MESHBENCH_ROUNDS:-3}"
conns="${MESHBENCH_CONNS:-64}"
threads="${MESHBENCH_THREADS:-2}"
log() { echo "# $*" >&2; }
die() { echo "# ERROR: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
[ -x "$tool" ] || die "build it first: cmake --build $build -- nft_mesh_rules"
PATH="$PATH:/usr/sbin"

# ---------------------------------------------------------------- part 1
if [[ " $parts " == *" loopback "* ]]; then
  [ -x "$l4" ] || die "no $l4"
  log "loopback: l4proxy.sh --target 127.0.0.1:18443 in a namespace of its own"
  unshare -n bash -c '
    set -e
    ip link set lo up
    "$1" loopback 18443 18081 18082 18083 2>/dev/null
    echo 1 >/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait
    exec "$2" --target 127.0.0.1:18443' _ "$tool" "$l4" \
    | sed 's/^l4_target_/l4_nft_/'
fi

# ---------------------------------------------------------------- part 2
[[ " $parts " == *" mesh "* ]] || exit 0
command -v nginx >/dev/null || die "nginx missing (apt-get install nginx)"
command -v haproxy >/dev/null || die "haproxy missing"
command -v wrk >/dev/null || die "wrk missing"
work=$(mktemp -d "${TMPDIR:-/tmp}/meshbench.XXXXXX")
chmod 0755 "$work"
declare -A ns=()
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A namespace is held by a sleeping process of ours; nsenter runs in it.
mkns() {
  unshare -n sleep 100000 &
  pids+=($!)
  ns[$1]=$!
}
in_ns() { local n=$1; shift; nsenter -t "${ns[$n]}" -n "$@"; }
for n in client node sandbox bridge t1 t2 t3; do mkns "$n"; done
sleep 0.2
for n in "${!ns[@]}"; do in_ns "$n" ip link set lo up; done
in_ns node ip link add eth0 type veth peer name eth0 netns "${ns[client]}"
in_ns node ip addr add 192.168.50.1/24 dev eth0
in_ns node ip link set eth0 up
in_ns client ip addr add 192.168.50.2/24 dev eth0
in_ns client ip link set eth0 up
in_ns client ip route add default via 192.168.50.1
in_ns node ip link add as_ing0 type veth peer name link0 netns "${ns[sandbox]}"
in_ns node ip addr add 172.31.255.1/30 dev as_ing0
in_ns node ip link set as_ing0 up
in_ns node ip route add 10.0.0.0/24 via 172.31.255.2
in_ns sandbox ip addr add 172.31.255.2/30 dev link0
in_ns sandbox ip link set link0 up
in_ns sandbox ip route add default via 172.31.255.1
in_ns bridge ip link add br0 type bridge
in_ns bridge ip link set br0 up
attach() { # NS LEG CIDR
  in_ns bridge ip link add "v$1" type veth peer name "$2" netns "${ns[$1]}"
  in_ns bridge ip link set "v$1" master br0 up
  in_ns "$1" ip addr add "$3" dev "$2"
  in_ns "$1" ip link set "$2" up
}
attach sandbox ing0 10.0.0.2/24
for i in 1 2 3; do
  attach "t$i" eth0 "10.0.0.$((4 + i))/24"
  in_ns "t$i" ip route add default via 10.0.0.2
done
for n in node sandbox; do
  in_ns "$n" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
done
in_ns sandbox "$tool" sandbox 172.31.255.2 8000 80 10.0.0.5 10.0.0.6 10.0.0.7 2>/dev/null
in_ns node "$tool" host 172.31.255.2 as_ing0 8000 80 10.0.0.5 10.0.0.6 10.0.0.7 2>/dev/null
for n in node sandbox; do
  in_ns "$n" sh -c 'echo 1 >/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait'
done

# The same 1024-byte file and nginx settings as l4proxy.sh, one per task.
mkdir -p "$work/www"
yes 'actorswarm l4 bench payload' | head -c 1024 >"$work/www/index.html" || true
chmod 0755 "$work/www"
chmod 0644 "$work/www/index.html"
for i in 1 2 3; do
  d="$work/nginx$i"
  mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $(nproc);
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nodelay on;
  keepalive_requests 100000000; keepalive_timeout 120s;
  client_body_temp_path $d/tmp/body; proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi; uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  types { text/html html; }
  server { listen 0.0.0.0:80 reuseport; root $work/www; location / { } }
}
EOF
  nsenter -t "${ns[t$i]}" -n nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
    </dev/null >"$d/out.log" 2>&1 &
  pids+=($!)
done
cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 192.168.50.1:18000
  default_backend be
backend be
  balance roundrobin
  server b1 10.0.0.5:80
  server b2 10.0.0.6:80
  server b3 10.0.0.7:80
EOF
nsenter -t "${ns[node]}" -n haproxy -db -f "$work/haproxy.cfg" </dev/null >"$work/haproxy.log" 2>&1 &
pids+=($!)
serves() { in_ns client curl -s --max-time 2 -o "$work/check" "http://$1/index.html" \
  && cmp -s "$work/check" "$work/www/index.html"; }
for t in 10.0.0.5:80 10.0.0.6:80 10.0.0.7:80 192.168.50.1:18000 192.168.50.1:8000; do
  for _ in $(seq 1 50); do serves "$t" && break; sleep 0.1; done
  serves "$t" || die "$t does not serve the file"
done
log "mesh: client -> node 192.168.50.1 -> sandbox -> tasks 10.0.0.5-7:80 ready"

cat >"$work/report.lua" <<'LUA'
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout))
end
LUA
: >"$work/all.txt"
run_wrk() { # LABEL ADDR MODE
  local hdr=()
  [ "$3" = close ] && hdr=(-H "Connection: close")
  in_ns client timeout $((duration + 30)) wrk -t"$threads" -c"$conns" -d"${duration}s" \
    --timeout 5s --latency "${hdr[@]}" -s "$work/report.lua" "http://$2/index.html" \
    >"$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; die "wrk failed on $2"; }
  awk -v n="mesh_$1_$3" '$1 == "RESULT" {
      printf "%s_rps %.0f req/s\n%s_p50_ms %.3f ms\n%s_p99_ms %.3f ms\n%s_errors %d count\n",
        n, $2 / ($3 / 1e6), n, $4 / 1000, n, $5 / 1000, n, $6 }' "$work/wrk.txt" \
    | tee -a "$work/all.txt" | awk '{ printf "%s=%s ", $1, $2 } END { print "" }' | sed 's/^/# /' >&2
}
for r in $(seq 1 "$rounds"); do
  for m in keepalive close; do
    log "round $r/$rounds $m"
    run_wrk direct 10.0.0.5:80 "$m"
    run_wrk haproxy 192.168.50.1:18000 "$m"
    run_wrk nft 192.168.50.1:8000 "$m"
  done
done
awk '{ if (!($1 in n)) { order[++k] = $1; unit[$1] = $3 } v[$1, ++n[$1]] = $2 }
  END {
    for (i = 1; i <= k; i++) {
      f = order[i]; c = n[f]
      for (a = 1; a <= c; a++) x[a] = v[f, a] + 0
      for (a = 2; a <= c; a++) { t = x[a]; b = a - 1; while (b >= 1 && x[b] > t) { x[b + 1] = x[b]; b-- } x[b + 1] = t }
      m = (c % 2) ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2
      printf (unit[f] == "ms") ? "%s %.3f %s\n" : "%s %.0f %s\n", f, m, unit[f]
    }
  }' "$work/all.txt" >"$work/final.txt"
cat "$work/final.txt"
get() { awk -v k="$1" '$1 == k { print $2 }' "$work/final.txt"; }
for m in keepalive close; do
  for f in rps p99_ms; do
    for px in haproxy nft; do
      awk -v n="mesh_${px}_${m}_${f%_ms}_ratio_vs_direct" -v a="$(get "mesh_${px}_${m}_$f")" \
        -v b="$(get "mesh_direct_${m}_$f")" 'BEGIN { if (b > 0) printf "%s %.3f ratio\n", n, a / b }'
    done
    awk -v n="mesh_nft_${m}_${f%_ms}_ratio_vs_haproxy" -v a="$(get "mesh_nft_${m}_$f")" \
      -v b="$(get "mesh_haproxy_${m}_$f")" 'BEGIN { if (b > 0) printf "%s %.3f ratio\n", n, a / b }'
  done
done
log "done"
