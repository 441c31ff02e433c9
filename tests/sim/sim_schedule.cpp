// The schedule of a run: the fault schedule drawn from a seed, its
// selection and shrinking (delta debugging), and the report of a failed
// run with its replay command.

#include <algorithm>
#include <random>
#include <sstream>

#include "sim/sim_cluster.hpp"
#include "support/seed.hpp"

namespace actorswarm::sim {

// -- schedule ---------------------------------------------------------------

std::string to_string(const fault_event& x) {
  std::ostringstream out;
  out << "@" << x.at << "ms ";
  switch (x.what) {
    case fault_event::kind::crash:
      out << "crash n" << x.node;
      break;
    case fault_event::kind::arm_crash:
      out << "crash n" << x.node << " " << (x.mode ? "after" : "before")
          << " its write +" << x.arg;
      break;
    case fault_event::kind::fsync_error:
      out << "fsync error on n" << x.node << " at its write +" << x.arg;
      break;
    case fault_event::kind::corrupt_read:
      out << "corrupt record on n" << x.node << "'s next log read";
      break;
    case fault_event::kind::restart:
      out << "restart n" << x.node;
      break;
    case fault_event::kind::partition: {
      out << "partition {";
      for (size_t i = 0; i < x.side.size(); ++i)
        out << (i ? "," : "") << "n" << x.side[i];
      out << "} from the rest";
      break;
    }
    case fault_event::kind::one_way:
      out << "drop n" << x.node << " -> n" << x.arg;
      break;
    case fault_event::kind::heal:
      out << "heal network";
      break;
    case fault_event::kind::force_new:
      out << "force-new-cluster on n" << x.node;
      break;
    case fault_event::kind::quiet:
      out << "quiet: network whole, all nodes up, no armed crash";
      break;
  }
  return out.str();
}

std::vector<fault_event> make_schedule(const sim_options& opts) {
  std::mt19937_64 r(test::mix64(opts.seed ^ 0x6661756c74));
  std::vector<fault_event> out;
  const auto n = opts.managers;
  auto pick = [&] { return 1 + r() % n; };
  sim_time t = 2500; // after the joins
  while (t < opts.fault_ms) {
    fault_event f;
    f.at = t;
    auto k = r() % 100;
    if (k < 22) {
      f.what = fault_event::kind::crash;
      f.node = pick();
      out.push_back(f);
      fault_event back;
      back.at = t + 200 + r() % 4000;
      back.what = fault_event::kind::restart;
      back.node = f.node;
      out.push_back(back);
    } else if (k < 44) {
      f.what = fault_event::kind::arm_crash;
      f.node = pick();
      f.arg = 1 + r() % 12;
      f.mode = r() % 2;
      out.push_back(f);
      fault_event back;
      back.at = t + 500 + r() % 4000;
      back.what = fault_event::kind::restart;
      back.node = f.node;
      out.push_back(back);
    } else if (k < 52) {
      f.what = fault_event::kind::fsync_error;
      f.node = pick();
      f.arg = 1 + r() % 12;
      out.push_back(f);
      fault_event back;
      back.at = t + 500 + r() % 4000;
      back.what = fault_event::kind::restart;
      back.node = f.node;
      out.push_back(back);
    } else if (k < 57) {
      f.what = fault_event::kind::corrupt_read;
      f.node = pick();
      out.push_back(f);
    } else if (k < 75) {
      f.what = fault_event::kind::partition;
      auto a = pick();
      f.side.push_back(a);
      if (n > 3 && r() % 2) {
        auto b = pick();
        if (b != a)
          f.side.push_back(b);
      }
      out.push_back(f);
      fault_event back;
      back.at = t + 300 + r() % 4000;
      back.what = fault_event::kind::heal;
      out.push_back(back);
    } else if (k < 87) {
      f.what = fault_event::kind::one_way;
      f.node = pick();
      f.arg = pick();
      if (f.arg == f.node)
        f.arg = 1 + f.node % n;
      out.push_back(f);
      fault_event back;
      back.at = t + 300 + r() % 4000;
      back.what = fault_event::kind::heal;
      out.push_back(back);
    }
    t += 300 + r() % 1500;
  }
  if (opts.force_new_cluster) {
    // A whole cluster for 3 s before it (heal, everybody up), as an
    // operator would find it after the others are lost for good.
    fault_event f;
    f.at = opts.fault_ms / 2 + r() % 2000;
    f.what = fault_event::kind::force_new;
    f.node = pick();
    auto quiet = f.at - 3000;
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const fault_event& x) {
                               return x.at >= quiet && x.at <= f.at + 500;
                             }),
              out.end());
    fault_event h;
    h.at = quiet;
    h.what = fault_event::kind::quiet;
    out.push_back(h);
    out.push_back(f);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const fault_event& a, const fault_event& b) {
                     return a.at < b.at;
                   });
  return out;
}

std::vector<fault_event> select(const std::vector<fault_event>& schedule,
                                const std::vector<size_t>& keep) {
  std::vector<fault_event> out;
  for (auto i : keep)
    if (i < schedule.size())
      out.push_back(schedule[i]);
  return out;
}

std::vector<size_t> shrink_schedule(const sim_options& opts,
                                    const std::vector<fault_event>& schedule,
                                    size_t max_runs) {
  std::vector<size_t> keep(schedule.size());
  for (size_t i = 0; i < keep.size(); ++i)
    keep[i] = i;
  size_t runs = 0;
  auto fails = [&](const std::vector<size_t>& xs) {
    ++runs;
    return !run_simulation(opts, select(schedule, xs)).ok();
  };
  // ddmin, simplified: drop chunks, halving the chunk size.
  for (size_t chunk = std::max<size_t>(keep.size() / 2, 1);
       chunk >= 1 && runs < max_runs; chunk /= 2) {
    for (size_t at = 0; at < keep.size() && runs < max_runs;) {
      auto candidate = keep;
      auto end = std::min(at + chunk, candidate.size());
      candidate.erase(candidate.begin() + at, candidate.begin() + end);
      if (fails(candidate))
        keep = std::move(candidate);
      else
        at += chunk;
    }
    if (chunk == 1)
      break;
  }
  return keep;
}

std::string describe_failure(const sim_options& opts, const sim_result& r,
                             const std::vector<fault_event>& schedule,
                             const std::vector<size_t>* kept) {
  std::ostringstream out;
  out << "simulation seed " << opts.seed << " (" << opts.managers
      << " managers): " << r.violation << "\n";
  out << "replay: AS_SEED=" << opts.seed;
  if (kept) {
    out << " AS_SIM_KEEP=";
    for (size_t i = 0; i < kept->size(); ++i)
      out << (i ? "," : "") << (*kept)[i];
  }
  out << " build/sim_test \"sim: replay one seed\"\n";
  out << "fault schedule (" << (kept ? kept->size() : schedule.size())
      << " events):\n";
  if (kept) {
    for (auto i : *kept)
      out << "  [" << i << "] " << to_string(schedule[i]) << "\n";
  } else {
    for (size_t i = 0; i < schedule.size(); ++i)
      out << "  [" << i << "] " << to_string(schedule[i]) << "\n";
  }
  out << "last " << r.trace.size() << " events:\n";
  for (const auto& line : r.trace)
    out << "  " << line << "\n";
  return out.str();
}

} // namespace actorswarm::sim
