#pragma once

// Part 2 of bench/raft_bench.cpp: leader failover. Each trial finds the
// leader, then either SIGKILLs it (crash: the survivors see its connections
// close) or SIGSTOPs it (silent failure: nothing closes, only timeouts
// tell), and times from the signal until
//   (a) a survivor names a new leader (node ls MANAGER STATUS), and
//   (b) a write (ServiceUpdate, 1 s reply bound) through a survivor, the
//       two survivors taken in turn, succeeds again,
// polling every 5 ms. Between trials the victim is restarted on its data dir
// (or SIGCONTed) and the bench waits until every manager is Reachable again.

#include <string>
#include <vector>

#include "bench/raft_bench_load.hpp"

namespace actorswarm::bench {

/// The median of `xs` (mean of the two middle values for an even count, as
/// etcd.sh computes it); 0 when empty.
inline double median(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

/// Times of one failover trial in ms; -1 when not reached within 30 s.
struct failover_times {
  double leader_ms = -1, write_ms = -1;
};

/// Measures (a) and (b) after daemon `victim` failed at `t0`.
inline failover_times time_failover(const cluster& c, size_t victim,
                                    steady::time_point t0, long& seq) {
  std::vector<size_t> surv;
  for (size_t i = 0; i < c.m.size(); ++i)
    if (i != victim && live(c, i))
      surv.push_back(i);
  failover_times out;
  std::string last_error;
  for (size_t j = 0; !stop_requested && ms_since(t0) < 30'000
                     && (out.leader_ms < 0 || out.write_ms < 0);
       ++j) {
    auto s = surv[j % surv.size()];
    if (out.leader_ms < 0) {
      int l = leader_seen_by(c, s);
      if (l >= 0 && static_cast<size_t>(l) != victim)
        out.leader_ms = ms_since(t0);
    }
    if (out.write_ms < 0
        && probe_write(c.m[s], "rbprobe", ++seq, 1'000, &last_error))
      out.write_ms = ms_since(t0);
    if (out.leader_ms < 0 || out.write_ms < 0)
      sleep_ms(5);
  }
  if (out.write_ms < 0)
    progress("no write within 30 s; last error: " + last_error);
  return out;
}

/// Brings daemon `i` back (restart after SIGKILL, SIGCONT after SIGSTOP)
/// and waits at most 30 s until all managers are Reachable.
inline bool recover(cluster& c, size_t i) {
  if (c.m[i].pid <= 0) {
    if (!start_daemon(c, i))
      return false;
  } else {
    ::kill(c.m[i].pid, SIGCONT);
    c.m[i].stopped = false;
  }
  if (!wait_all_reachable(c, 30'000)) {
    progress("m" + std::to_string(i) + " not Reachable again within 30 s");
    return false;
  }
  return find_leader(c, 10'000) >= 0;
}

/// Runs `trials` failovers with `sig` (SIGKILL or SIGSTOP); prints
/// `<name>_leader_ms_*` and `<name>_write_ms_*` (median, max, min).
inline bool bench_failover(cluster& c, int sig, int trials,
                           const std::string& name) {
  {
    pb::ControlRequest req;
    *req.mutable_service_create()->mutable_spec() = bench_spec("rbprobe", 0);
    pb::ControlReply rep;
    int l = find_leader(c, 10'000);
    if (l < 0 || (!call(c.m[static_cast<size_t>(l)], req, rep, 30'000)
                  && rep.code() != static_cast<uint32_t>(actorswarm::errc::name_conflict)))
      return false;
  }
  std::vector<double> lead, write;
  long seq = 0;
  for (int t = 0; t < trials && !stop_requested; ++t) {
    int l = find_leader(c, 10'000);
    if (l < 0)
      return false;
    auto v = static_cast<size_t>(l);
    auto t0 = steady::now();
    if (sig == SIGKILL) {
      kill9(c, v);
    } else {
      ::kill(c.m[v].pid, SIGSTOP);
      c.m[v].stopped = true;
    }
    auto r = time_failover(c, v, t0, seq);
    progress(name + " trial " + std::to_string(t + 1) + ": m" + std::to_string(v)
             + " leader " + std::to_string(r.leader_ms) + " ms, write "
             + std::to_string(r.write_ms) + " ms");
    if (r.leader_ms < 0 || r.write_ms < 0 || !recover(c, v))
      return false;
    lead.push_back(r.leader_ms);
    write.push_back(r.write_ms);
    sleep_ms(500);
  }
  for (auto& [what, xs] : {std::pair{"leader", lead}, std::pair{"write", write}}) {
    figure(name + "_" + what + "_ms_median", median(xs), "ms");
    figure(name + "_" + what + "_ms_max", percentile(xs, 100), "ms");
    figure(name + "_" + what + "_ms_min", percentile(xs, 0), "ms");
  }
  figure(name + "_trials", static_cast<double>(write.size()), "count");
  return true;
}

} // namespace actorswarm::bench
