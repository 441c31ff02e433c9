#!/usr/bin/env bash
# mesh_daemon_bench.sh — the routing mesh as a user gets it (issue #10): real
# `actorswarm daemon`s, a real service with a published port, loaded by wrk,
# against HAProxy (mode tcp, roundrobin) over the SAME three tasks, in the
# same run. Everything lives in network namespaces this script creates (never
# the machine's own); they are removed afterwards, also on failure or Ctrl-C.
#
# Layout (K = MDBENCH_SUBNET):
#   client   namespace with bridge br0 192.168.K.254/24 (the "switch"; wrk
#            runs here), one veth leg per node
#   node<i>  eth0 192.168.K.<i+1>/24, running `actorswarm daemon` (its data
#            dir under the temp dir); node0 runs `swarm init`, node1 (with
#            MDBENCH_NODES=2) joins as a worker
#   the daemon's own namespaces: the ingress network's, its ingress sandbox
#            (<data-dir>/netns/s-ingress, link 169.254.30.2/30 to the node)
#            and one per task
# The service: `service create --name web --replicas 3 --publish 8000:80
#   host sh -c 'exec nginx ...'` (nginx as in ../shared/bench/l4proxy.sh: a
#   1024-byte /index.html, keep-alive unlimited, one worker per core; pid
#   file per task under the temp dir, logs to stderr). With 2 nodes the tasks
#   are constrained to node1 and the client uses node0, so every request
#   crosses the ingress overlay (VXLAN).
# Three targets, each with wrk from its place, interleaved over the rounds:
#   mesh     client -> node0 192.168.K.1:8000 (the published port: node0's
#            nftables DNAT to the sandbox, the sandbox's DNAT + masquerade to
#            a task)
#   haproxy  client -> 169.254.30.2:18000 (the client routes 169.254.30.0/30
#            via node0): HAProxy 2.6 in node0's ingress sandbox, mode tcp,
#            roundrobin over the three tasks' ingress addresses. The same
#            hops as the mesh: client -> node0 -> sandbox -> task.
#   direct   wrk inside node0's sandbox -> the first task's address:80 (no
#            proxy; the client has no route to task addresses, which live on
#            the ingress network only). Both proxies' "vs direct" ratios use it.
#
# Usage: bench/mesh_daemon_bench.sh [BUILD_DIR]   (needs root; default build/,
#        which must hold the actorswarm binary: cmake --build build -- actorswarm)
# Knobs: MDBENCH_NODES [1] (1 or 2), MDBENCH_DURATION [5] s per wrk run,
#        MDBENCH_ROUNDS [3] (figures are medians), MDBENCH_CONNS [64],
#        MDBENCH_THREADS [2], MDBENCH_MODES ["keepalive close"],
#        MDBENCH_TARGETS ["direct haproxy mesh"], MDBENCH_SUBNET [77],
#        MDBENCH_HOLD [0]: seconds to hold the set-up after the load,
#        MDBENCH_CPU [1]: sample all CPUs during every wrk run (`perf record
#        -a -F 499`, when perf is installed) and report the CPU time the run's
#        own processes used per request (md_<target>_<mode>_cpu_us_per_req:
#        wrk, the tasks' nginx, haproxy and ksoftirqd, whose contexts also
#        carry the kernel's forwarding and NAT work),
#        MDBENCH_PERF_DIR [unset]: keep those recordings, with call graphs,
#        as DIR/<target>_<mode>_r<round>.data (where the time goes).
# Output: "name value unit" lines on stdout (md_<target>_<mode>_rps, _p50_ms,
#         _p99_ms, _errors, _listen_drops, _retrans, _ct_fail, _cpu_us_per_req,
#         then ratios vs direct and mesh vs haproxy), progress as "# ..." on
#         stderr, with the load average before, during and after.
# wrk runs as l4proxy.sh's --load-only would run it (-t2 -c64 -d5s --timeout
# 5s --latency, "Connection: close" for the close mode, the same report
# script), but not through it: --load-only takes loopback addresses only.
# The client namespace has tcp_tw_reuse=1 (for every target alike).
# Conntrack keeps closed connections 120 s (TIME_WAIT) by default; with a new
# connection per request that fills the table, so the script sets
# nf_conntrack_tcp_timeout_time_wait=1 in every namespace of the path but the
# ingress sandboxes, which get 65 s: longer than TCP's own TIME_WAIT (60 s,
# held by the tasks, which close first), so NAT does not reuse a 4-tuple a
# task still holds. HAProxy and direct's wrk leave the sandbox from addresses
# of their own (see "haproxy" below: with the sandbox's address shared by
# three timestamp clocks, SYNs met TIME_WAITs with newer timestamps and were
# dropped, PAWS, thousands per run in the first runs of this script).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin="$build/actorswarm"
nodes="${MDBENCH_NODES:-1}"
duration="${MDBENCH_DURATION:-5}"
rounds="${MDBENCH_ROUNDS:-3}"
conns="${MDBENCH_CONNS:-64}"
threads="${MDBENCH_THREADS:-2}"
modes="${MDBENCH_MODES:-keepalive close}"
targets="${MDBENCH_TARGETS:-direct haproxy mesh}"
k="${MDBENCH_SUBNET:-77}"
hold="${MDBENCH_HOLD:-0}"
perf_dir="${MDBENCH_PERF_DIR:-}"
cpu="${MDBENCH_CPU:-1}"
command -v perf >/dev/null || cpu=0
[ -z "$perf_dir" ] || cpu=1
log() { echo "# $*" >&2; }
die() { echo "# ERROR: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
[ -x "$bin" ] || die "build it first: cmake --build $build -- actorswarm"
[ "$nodes" = 1 ] || [ "$nodes" = 2 ] || die "MDBENCH_NODES must be 1 or 2"
[ -z "$perf_dir" ] || mkdir -p "$perf_dir"
PATH="$PATH:/usr/sbin"
for c in nginx haproxy wrk curl nsenter; do
  command -v "$c" >/dev/null || die "$c missing"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mdbench.XXXXXX")
chmod 0755 "$work"
declare -A ns=()   # name -> pid of the process holding the namespace
holders=()         # those pids
daemons=()         # daemon pids
others=()          # haproxy and the like

# Processes inside the namespaces we made or the daemons pinned (the tasks).
procs_in_ours() {
  local inodes=() p i
  for p in "${holders[@]}"; do
    i=$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null) && inodes+=("$i")
  done
  for p in "$work"/node*/data/netns/*; do
    [ -e "$p" ] || continue
    i=$(stat -L -c %i "$p" 2>/dev/null) && inodes+=("$i")
  done
  [ "${#inodes[@]}" -gt 0 ] || return 0
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    i=$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null) || continue
    for x in "${inodes[@]}"; do
      [ "$i" = "$x" ] && { echo "$p"; break; }
    done
  done
  return 0
}
stop_pid() { # PID: SIGTERM, up to 10 s, SIGKILL
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cli() { # NODE ARGS...
  "$bin" -H "unix://$work/node$1/ctl.sock" "${@:2}"
}
cleanup() {
  local rc=$? p m mine=() holder_set=" ${holders[*]} "
  trap - EXIT INT TERM
  set +e
  for p in "${others[@]}"; do stop_pid "$p"; done
  if [ "${#daemons[@]}" -gt 0 ]; then
    cli 0 service rm web >/dev/null 2>&1
    for _ in $(seq 1 100); do
      compgen -G "$work/node*/data/netns/t-*" >/dev/null || break
      sleep 0.2
    done
    for i in $(seq $((nodes - 1)) -1 0); do
      cli "$i" swarm leave --force >/dev/null 2>&1
    done
  fi
  for p in "${daemons[@]}"; do stop_pid "$p"; done
  # What the daemons left running in their namespaces (their tasks; after
  # the daemons, nothing else of ours lives there), except the holders.
  for p in $(procs_in_ours); do
    [[ "$holder_set" == *" $p "* ]] || mine+=("$p")
  done
  for p in "${mine[@]}"; do kill -KILL "$p" 2>/dev/null; done
  # Pins and other mounts under the temp dir, deepest first.
  for m in $(awk -v w="$work" 'index($5, w "/") == 1 { print $5 }' \
      /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  for p in "${holders[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkns() { # NAME: a namespace held by a sleeping process of ours
  unshare -n sleep 1000000 &
  holders+=($!)
  ns[$1]=$!
}
in_ns() { local n=$1; shift; nsenter -t "${ns[$n]}" -n "$@"; }
in_pin() { local p=$1; shift; nsenter --net="$p" "$@"; }
tw() { echo "$1" >/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait; }
export -f tw

log "load before set-up: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
mkns client
for i in $(seq 0 $((nodes - 1))); do mkns "node$i"; done
sleep 0.2
in_ns client ip link set lo up
in_ns client ip link add br0 type bridge
in_ns client ip addr add "192.168.$k.254/24" dev br0
in_ns client ip link set br0 up
for i in $(seq 0 $((nodes - 1))); do
  in_ns "node$i" ip link set lo up
  in_ns client ip link add "n$i" type veth peer name eth0 netns "${ns[node$i]}"
  in_ns client ip link set "n$i" master br0 up
  in_ns "node$i" ip addr add "192.168.$k.$((i + 1))/24" dev eth0
  in_ns "node$i" ip link set eth0 up
done
# The HAProxy path: the sandbox's link address, through node0.
in_ns client ip route add 169.254.30.0/30 via "192.168.$k.1"
in_ns client sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse'

# ---------------------------------------------------------------- daemons
for i in $(seq 0 $((nodes - 1))); do
  d="$work/node$i"
  mkdir -p "$d/data"
  # nsenter itself (not a shell function, whose subshell $! would name):
  # it execs the daemon, so $! is the daemon's pid.
  nsenter -t "${ns[node$i]}" -n "$bin" daemon --data-dir "$d/data" --control-addr "unix://$d/ctl.sock" \
    --listen-addr "192.168.$k.$((i + 1)):2377" </dev/null >"$d/daemon.log" 2>&1 &
  daemons+=($!)
done
for i in $(seq 0 $((nodes - 1))); do
  for _ in $(seq 1 100); do cli "$i" info >/dev/null 2>&1 && break; sleep 0.1; done
  cli "$i" info >/dev/null 2>&1 || { cat "$work/node$i/daemon.log" >&2; die "daemon $i did not start"; }
done
cli 0 swarm init --advertise-addr "192.168.$k.1" >/dev/null
constraint=()
if [ "$nodes" = 2 ]; then
  token=$(cli 0 swarm join-token -q worker)
  cli 1 swarm join --token "$token" --advertise-addr "192.168.$k.2" "192.168.$k.1:2377" >/dev/null
  id1=$(cli 1 info | awk '$1 == "NodeID:" { print $2 }')
  [ -n "$id1" ] || die "no node id for node1"
  constraint=(--constraint "node.id==$id1")
fi
log "$nodes daemon(s) up, swarm formed"

# ---------------------------------------------------------------- service
mkdir -p "$work/www" "$work/run" "$work/tmp"
yes 'actorswarm l4 bench payload' | head -c 1024 >"$work/www/index.html" || true
chmod 0755 "$work/www" "$work/tmp"
chmod 0644 "$work/www/index.html"
cat >"$work/nginx.conf" <<EOF
master_process on;
worker_processes $(nproc);
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nodelay on;
  keepalive_requests 100000000; keepalive_timeout 120s;
  client_body_temp_path $work/tmp/body; proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi; uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  types { text/html html; }
  default_type application/octet-stream;
  server { listen 0.0.0.0:80 reuseport; root $work/www; location / { } }
}
EOF
# Each task's own pid file (the three masters must not share one).
cli 0 service create -d --name web --replicas 3 --publish 8000:80 "${constraint[@]}" \
  host /bin/sh -c "exec /usr/sbin/nginx -p $work -c $work/nginx.conf -e stderr -g \"daemon off; pid $work/run/\$ACTORSWARM_TASK_ID.pid;\"" \
  >/dev/null
tnode=$((nodes - 1))
sandbox="$work/node0/data/netns/s-ingress"
serves() { # WHERE(client|pin path) HOST:PORT
  local rc
  if [ "$1" = client ]; then
    in_ns client curl -s --max-time 2 -o "$work/check" "http://$2/index.html" || return 1
  else
    in_pin "$1" curl -s --max-time 2 -o "$work/check" "http://$2/index.html" || return 1
  fi
  cmp -s "$work/check" "$work/www/index.html"
}
tasks=()
for _ in $(seq 1 300); do
  tasks=()
  for p in "$work/node$tnode"/data/netns/t-*; do
    [ -e "$p" ] || continue
    a=$(in_pin "$p" ip -4 -o addr show 2>/dev/null | awk '$4 ~ /^10\./ { sub(/\/.*/, "", $4); print $4 }')
    [ -n "$a" ] && tasks+=("$a")
  done
  [ "${#tasks[@]}" = 3 ] && [ -e "$sandbox" ] && serves client "192.168.$k.1:8000" && break
  sleep 0.1
done
[ "${#tasks[@]}" = 3 ] || { cli 0 service ps web >&2; die "three tasks with ingress addresses did not come up"; }
serves client "192.168.$k.1:8000" || { cli 0 service ps web >&2; die "192.168.$k.1:8000 does not serve the file"; }
for a in "${tasks[@]}"; do
  for _ in $(seq 1 50); do serves "$sandbox" "$a:80" && break; sleep 0.1; done
  serves "$sandbox" "$a:80" || die "task $a:80 does not serve the file from the sandbox"
done
log "service web: tasks ${tasks[*]} on node$tnode, published 8000 answers on node0"

# ---------------------------------------------------------------- haproxy
# Each originator of connections to the tasks gets its own source address in
# the sandbox: the mesh's masquerade keeps the sandbox's primary ingress
# address, HAProxy binds a secondary .250, direct's wrk leaves from .251 (a
# route with that source to the first task). The tasks hold every closed
# connection 60 s in TIME_WAIT with the TCP timestamps it had; when two
# originators with different timestamp clocks share a source address, a new
# SYN on a 4-tuple NAT freed (conntrack's TIME_WAIT entry replaced by a
# re-opening client) meets such a TIME_WAIT older clock first and is dropped
# (PAWS), retried after 1 s: in the first runs HAProxy after the mesh lost
# 1,500 SYNs per 4 s run that way, the mesh after HAProxy 180.
sbaddr=$(in_pin "$sandbox" ip -4 -o addr show dev eth0 | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
net3=${sbaddr%.*}
for a in "${tasks[@]}"; do
  case "$a" in "$net3.250" | "$net3.251") die "task address $a is one the bench wants for itself" ;; esac
done
in_pin "$sandbox" ip addr add "$net3.250/24" dev eth0
in_pin "$sandbox" ip addr add "$net3.251/24" dev eth0
in_pin "$sandbox" ip route add "${tasks[0]}/32" dev eth0 src "$net3.251"
if [ "$tnode" != 0 ]; then
  # Across the overlay the tasks' ARP is answered by the VXLAN proxy from
  # the daemon's neighbour entries: tell the tasks where .250/.251 live (the
  # sandbox's MAC, which the other node already forwards to node0).
  sbmac=$(in_pin "$sandbox" ip -o link show dev eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
  for p in "$work/node$tnode"/data/netns/t-*; do
    for a in 250 251; do in_pin "$p" ip neigh replace "$net3.$a" lladdr "$sbmac" dev eth0 nud permanent; done
  done
fi
cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 169.254.30.2:18000
  default_backend be
backend be
  balance roundrobin
  source $net3.250
  server b1 ${tasks[0]}:80
  server b2 ${tasks[1]}:80
  server b3 ${tasks[2]}:80
EOF
nsenter --net="$sandbox" haproxy -db -f "$work/haproxy.cfg" </dev/null >"$work/haproxy.log" 2>&1 &
others+=($!)
for _ in $(seq 1 50); do serves client 169.254.30.2:18000 && break; sleep 0.1; done
serves client 169.254.30.2:18000 || { cat "$work/haproxy.log" >&2; die "HAProxy does not serve the file"; }

# Conntrack's TIME_WAIT: 1 s, 65 s in the sandboxes (see the top).
in_ns client bash -c 'tw 1'
for i in $(seq 0 $((nodes - 1))); do
  in_ns "node$i" bash -c 'tw 1'
  for p in "$work/node$i"/data/netns/*; do
    if [ "${p##*/}" = s-ingress ]; then in_pin "$p" bash -c 'tw 65'; else in_pin "$p" bash -c 'tw 1'; fi
  done
done
# The tasks' processes (nginx) and haproxy, for the CPU figures.
our_pids="$(procs_in_ours | tr '\n' ' ') ${others[*]}"
log "haproxy $(haproxy -v | awk 'NR==1 {print $3}') in node0's sandbox on 169.254.30.2:18000; ready"

# ---------------------------------------------------------------- load
# Drop counters summed over every namespace of the set-up: TCP listen queue
# drops (a starved nginx), TCP retransmitted segments (a dropped SYN costs
# 1 s), conntrack insert failures and drops (NAT clashes, a full table).
counters() {
  local p
  for p in "${holders[@]}"; do echo "/proc/$p/ns/net"; done
  for p in "$work"/node*/data/netns/*; do [ -e "$p" ] && echo "$p"; done
} 2>/dev/null
drops() { # -> "listen_drops retrans ct_fail"
  local p
  for p in $(counters); do
    nsenter --net="$p" cat /proc/net/netstat /proc/net/snmp /proc/net/stat/nf_conntrack 2>/dev/null
  done | awk '
    function hex(x,  i, v) { v = 0; x = tolower(x)
      for (i = 1; i <= length(x); i++) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
      return v }
    $1 == "TcpExt:" || $1 == "Tcp:" {
      if (!seen[$1]) { for (i = 2; i <= NF; i++) name[$1, i] = $i; seen[$1] = 1; next }
      seen[$1] = 0
      for (i = 2; i <= NF; i++) {
        if (name[$1, i] == "ListenDrops") ld += $i
        if (name[$1, i] == "RetransSegs") rt += $i
      }
      next }
    $1 == "entries" { for (i = 1; i <= NF; i++) ct[i] = $i; next }
    $1 ~ /^[0-9a-f]+$/ && NF > 10 {
      for (i = 1; i <= NF; i++) if (ct[i] == "insert_failed" || ct[i] == "drop" || ct[i] == "early_drop") cf += hex($i) }
    END { printf "%d %d %d\n", ld, rt, cf }'
}
cat >"$work/report.lua" <<'LUA'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout, e.status))
end
LUA
: >"$work/all.txt"
run_wrk() { # TARGET MODE ROUND
  local hdr=() where addr perf=()
  [ "$2" = close ] && hdr=(-H "Connection: close")
  case "$1" in
    direct) where=(nsenter --net="$sandbox") addr="${tasks[0]}:80" ;;
    haproxy) where=(nsenter -t "${ns[client]}" -n) addr=169.254.30.2:18000 ;;
    mesh) where=(nsenter -t "${ns[client]}" -n) addr="192.168.$k.1:8000" ;;
  esac
  local pdata="$work/perf.data"
  [ -z "$perf_dir" ] || pdata="$perf_dir/$1_$2_r$3.data"
  if [ "$cpu" = 1 ]; then
    perf=(perf record -q -a -F 499 -o "$pdata")
    [ -z "$perf_dir" ] || perf+=(-g)
    perf+=(--)
  fi
  local before after
  before=$(drops)
  "${perf[@]}" "${where[@]}" timeout $((duration + 30)) wrk -t"$threads" -c"$conns" -d"${duration}s" \
    --timeout 5s --latency "${hdr[@]}" -s "$work/report.lua" "http://$addr/index.html" \
    >"$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; die "wrk failed on $addr"; }
  awk -v n="md_$1_$2" '$1 == "RESULT" {
      printf "%s_rps %.0f req/s\n%s_p50_ms %.3f ms\n%s_p99_ms %.3f ms\n%s_errors %d count\n",
        n, ($2 - $7) / ($3 / 1e6), n, $4 / 1000, n, $5 / 1000, n, $6 }' "$work/wrk.txt" \
    >"$work/run.txt"
  after=$(drops)
  echo "$before $after" | awk -v n="md_$1_$2" '{
    printf "%s_listen_drops %d count\n%s_retrans %d count\n%s_ct_fail %d count\n",
      n, $4 - $1, n, $5 - $2, n, $6 - $3 }' >>"$work/run.txt"
  if [ "$cpu" = 1 ]; then
    # Samples (1/499 s each) of our processes: wrk by name, nginx and
    # haproxy by pid (other benchmarks on the machine may run their own).
    perf script -i "$pdata" -F comm,pid 2>/dev/null | awk -v n="md_$1_$2" -v ours=" $our_pids " \
      -v req="$(awk '$1 == "RESULT" { print $2 }' "$work/wrk.txt")" '
        $1 == "wrk" || $1 ~ /^ksoftirqd/ || index(ours, " " $2 " ") { s++ }
        END { if (req > 0) printf "%s_cpu_us_per_req %.1f us\n", n, s * 1e6 / 499 / req }' \
      >>"$work/run.txt"
  fi
  tee -a "$work/all.txt" <"$work/run.txt" | awk '{ printf "%s=%s ", $1, $2 } END { print "" }' \
    | sed "s/^/# /; s/\$/load $(cut -d' ' -f1 /proc/loadavg)/" >&2
}
for r in $(seq 1 "$rounds"); do
  for m in $modes; do
    log "round $r/$rounds $m (load $(cut -d' ' -f1-3 /proc/loadavg))"
    for t in $targets; do run_wrk "$t" "$m" "$r"; done
  done
done
awk '{ if (!($1 in n)) { order[++c0] = $1; unit[$1] = $3 } v[$1, ++n[$1]] = $2 }
  END {
    for (i = 1; i <= c0; i++) {
      f = order[i]; c = n[f]
      for (a = 1; a <= c; a++) x[a] = v[f, a] + 0
      for (a = 2; a <= c; a++) { t = x[a]; b = a - 1; while (b >= 1 && x[b] > t) { x[b + 1] = x[b]; b-- } x[b + 1] = t }
      m = (c % 2) ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2
      printf (unit[f] == "ms") ? "%s %.3f %s\n" : (unit[f] == "us") ? "%s %.1f %s\n" : "%s %.0f %s\n", f, m, unit[f]
    }
  }' "$work/all.txt" >"$work/final.txt"
echo "md_nodes $nodes count"
cat "$work/final.txt"
get() { awk -v k="$1" '$1 == k { print $2 }' "$work/final.txt"; }
ratio() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%s %.3f ratio\n", n, a / b }'; }
for m in $modes; do
  for f in rps p99_ms cpu_us_per_req; do
    for px in haproxy mesh; do
      ratio "md_${px}_${m}_${f%_ms}_ratio_vs_direct" "$(get "md_${px}_${m}_$f")" "$(get "md_direct_${m}_$f")"
    done
    ratio "md_mesh_${m}_${f%_ms}_ratio_vs_haproxy" "$(get "md_mesh_${m}_$f")" "$(get "md_haproxy_${m}_$f")"
  done
done
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$hold" -gt 0 ]; then
  log "holding for ${hold}s: client ns pid ${ns[client]}, node0 ns pid ${ns[node0]}, sandbox $sandbox"
  sleep "$hold"
fi
log "done"
