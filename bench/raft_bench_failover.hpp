#pragma once

// Part 2 of bench/raft_bench.cpp: leader failover. Each trial finds the
// leader, then either SIGKILLs it (crash: the survivors see its connections
// close) or SIGSTOPs it (silent failure: nothing closes, only timeouts
// tell), and times from the signal until
//   (a) a survivor names a new leader (node ls MANAGER STATUS), and
//   (b) a write (ServiceUpdate, 2 s reply bound) through a survivor, the
//       two survivors taken in turn, succeeds again;
// a new attempt of each starts every 10 ms without waiting for the previous
// one (a call stuck on the stopped leader would otherwise hide a success).
// Between trials the victim is restarted on its data dir (or SIGCONTed) and the
// bench waits until every manager is Reachable again.

#include <atomic>
#include <string>
#include <thread>
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

/// Starts `attempt(j)` every 10 ms in its own thread (at most 250 in flight,
/// so a call hanging on the failed leader does not hide a later success)
/// until one succeeds; returns its completion time in ms since `t0`, or -1
/// after `timeout_ms`.
template <class Attempt>
double first_success(steady::time_point t0, double timeout_ms,
                     Attempt attempt) {
  std::atomic<double> done{-1};
  std::atomic<int> in_flight{0};
  std::vector<std::thread> ts;
  for (size_t j = 0;
       !stop_requested && ms_since(t0) < timeout_ms && done.load() < 0; ++j) {
    if (in_flight.load() < 250) {
      ++in_flight;
      ts.emplace_back([&, j] {
        if (attempt(j)) {
          double none = -1;
          done.compare_exchange_strong(none, ms_since(t0));
        }
        --in_flight;
      });
    }
    sleep_ms(10);
  }
  for (auto& t : ts)
    t.join();
  return done.load();
}

/// Measures (a) and (b) after daemon `victim` failed at `t0`; writes go to
/// services rbprobe0..255 in turn (no two in-flight writes share one).
inline failover_times time_failover(const cluster& c, size_t victim,
                                    steady::time_point t0) {
  std::vector<size_t> surv;
  for (size_t i = 0; i < c.m.size(); ++i)
    if (i != victim && live(c, i))
      surv.push_back(i);
  failover_times out;
  std::thread lead([&] {
    out.leader_ms = first_success(t0, 30'000, [&](size_t j) {
      int l = leader_seen_by(c, surv[j % surv.size()]);
      return l >= 0 && static_cast<size_t>(l) != victim;
    });
  });
  out.write_ms = first_success(t0, 30'000, [&](size_t j) {
    return probe_write(c.m[surv[j % surv.size()]],
                       "rbprobe" + std::to_string(j % 256),
                       static_cast<long>(j), 2'000);
  });
  lead.join();
  return out;
}

/// Brings daemon `i` back (restart on its data dir after SIGKILL, SIGCONT
/// after SIGSTOP), then waits at most 30 s until every daemon names the same
/// live leader and a write through daemon `i` (forwarded) succeeds.
inline bool recover(cluster& c, size_t i) {
  if (c.m[i].pid <= 0) {
    if (!start_daemon(c, i))
      return false;
  } else {
    ::kill(c.m[i].pid, SIGCONT);
    c.m[i].stopped = false;
  }
  auto t0 = steady::now();
  if (find_leader(c, 30'000) < 0) {
    progress("m" + std::to_string(i) + ": no agreed leader within 30 s");
    return false;
  }
  for (long seq = 0; !stop_requested && ms_since(t0) < 30'000; ++seq) {
    if (probe_write(c.m[i], "rbprobe0", seq, 2'000))
      return true;
    sleep_ms(20);
  }
  progress("m" + std::to_string(i) + ": no write through it within 30 s");
  return false;
}

/// Runs `trials` failovers with `sig` (SIGKILL or SIGSTOP); prints
/// `<name>_leader_ms_*` and `<name>_write_ms_*` (median, max, min).
inline bool bench_failover(cluster& c, int sig, int trials,
                           const std::string& name) {
  int first = find_leader(c, 10'000);
  if (first < 0
      || !create_services(c.m[static_cast<size_t>(first)], "rbprobe", 256))
    return false;
  std::vector<double> lead, write;
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
    auto r = time_failover(c, v, t0);
    progress(name + " trial " + std::to_string(t + 1) + ": m"
             + std::to_string(v) + " leader " + std::to_string(r.leader_ms)
             + " ms, write " + std::to_string(r.write_ms) + " ms");
    if (r.leader_ms < 0 || r.write_ms < 0 || !recover(c, v))
      return false;
    lead.push_back(r.leader_ms);
    write.push_back(r.write_ms);
    sleep_ms(500);
  }
  for (auto& [what, xs] :
       {std::pair{"leader", lead}, std::pair{"write", write}}) {
    figure(name + "_" + what + "_ms_median", median(xs), "ms");
    figure(name + "_" + what + "_ms_max", percentile(xs, 100), "ms");
    figure(name + "_" + what + "_ms_min", percentile(xs, 0), "ms");
  }
  figure(name + "_trials", static_cast<double>(write.size()), "count");
  return true;
}

} // namespace actorswarm::bench
