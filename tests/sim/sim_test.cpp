// The simulation's test cases (docs/simulation.md): seeds in CI, many more
// under scripts/soak, replay of one seed, shrinking, and the bug-switch
// cases that show the simulation finds issue #9's defects 1 and 3.
//
// Environment: AS_SEED=<n> runs exactly seed n (replay); AS_SEEDS=<count>
// how many seeds a case runs; AS_SIM_KEEP=<i,j,...> replays only those
// events of the seed's fault schedule (what a shrink printed).

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "actors/raft/bug_switches.hpp"
#include "sim/sim_cluster.hpp"
#include "support/seed.hpp"

using namespace actorswarm;
using namespace actorswarm::sim;

namespace {

// Whether the fix of issue #9 defect 1 (start-up reconcile of the log with
// a newer snapshot, branch i9-startup) is in this tree. Until it is, the CI
// seeds keep armed crashes out of the window between publishing a snapshot
// and compacting the log (the simulation finds defect 1 there at once:
// seed 18 of "3 managers - seeds 1 to 250"). The lead flips this on merge,
// together with the [!mayfail] tags of the bug-switch cases below.
constexpr bool defect1_fixed = true;

sim_options ci_options() {
  sim_options o;
  o.crash_in_snapshot_install = defect1_fixed;
  return o;
}

// Runs `seeds`; on the first failure shrinks its schedule, prints the report
// and fails the test.
void run_seeds(sim_options base, const std::vector<uint64_t>& seeds,
               bool shrink = true) {
  auto t0 = std::chrono::steady_clock::now();
  size_t ops = 0;
  size_t acked = 0;
  size_t crashes = 0;
  for (auto seed : seeds) {
    auto opts = base;
    opts.seed = seed;
    auto schedule = make_schedule(opts);
    auto r = run_simulation(opts, schedule);
    ops += r.ops;
    acked += r.acknowledged;
    crashes += r.crashes;
    if (r.ok())
      continue;
    std::string report = describe_failure(opts, r, schedule);
    if (shrink) {
      auto kept = shrink_schedule(opts, schedule);
      auto small = run_simulation(opts, select(schedule, kept));
      if (!small.ok())
        report += "\nshrunk:\n"
                  + describe_failure(opts, small, schedule, &kept);
    }
    FAIL(report);
  }
  auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
             .count();
  std::cerr << "sim: " << seeds.size() << " seeds (" << base.managers
            << " managers) in " << s << " s, " << ops << " client ops ("
            << acked << " acknowledged), " << crashes << " crashes\n";
}

std::vector<uint64_t> seed_range(uint64_t first, uint64_t count) {
  if (std::getenv("AS_SEED"))
    return test::seeds_from_env(count, first);
  uint64_t n = count;
  if (const char* s = std::getenv("AS_SEEDS"))
    n = std::strtoull(s, nullptr, 10) / 4;
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < n; ++i)
    out.push_back(first + i);
  return out;
}

// A run with `switch_on` set must find a violation within `seeds`; the
// first one found is printed (shrunk).
void finds_with_switch(bool& bug_switch, sim_options base, uint64_t seeds,
                       const std::string& expect) {
  bug_switch = true;
  std::string found;
  uint64_t at = 0;
  for (uint64_t seed = 1; seed <= seeds && found.empty(); ++seed) {
    auto opts = base;
    opts.seed = seed;
    auto r = run_seed(opts);
    if (!r.ok()) {
      found = r.violation;
      at = seed;
    }
  }
  bug_switch = false;
  INFO("bug switch on: first violation at seed " << at << ": " << found);
  REQUIRE_FALSE(found.empty());
  CHECK(found.find(expect) != std::string::npos);
  std::cerr << "sim: with the bug switch on, seed " << at << " finds: " << found
            << "\n";
}

} // namespace

// -- CI: 1,000 seeds in four cases (ctest runs them in parallel) -------------

TEST_CASE("sim: 3 managers - seeds 1 to 250", "[sim]") {
  run_seeds(ci_options(), seed_range(1, 250));
}

TEST_CASE("sim: 3 managers - seeds 251 to 500", "[sim]") {
  run_seeds(ci_options(), seed_range(251, 250));
}

TEST_CASE("sim: 5 managers - seeds 501 to 750", "[sim]") {
  auto o = ci_options();
  o.managers = 5;
  run_seeds(o, seed_range(501, 250));
}

TEST_CASE("sim: 3 managers without disk faults - seeds 751 to 1000", "[sim]") {
  auto o = ci_options();
  o.disk_faults = false;
  run_seeds(o, seed_range(751, 250));
}

// -- soak -----------------------------------------------------------------

TEST_CASE("sim: soak - 3 and 5 managers - 20000 seeds", "[.soak][sim]") {
  run_seeds(ci_options(), test::seeds_from_env(10000, 100000));
  auto o = ci_options();
  o.managers = 5;
  run_seeds(o, test::seeds_from_env(10000, 200000));
}

// -- replay -----------------------------------------------------------------

TEST_CASE("sim: replay one seed", "[.replay][sim]") {
  auto opts = ci_options();
  if (const char* s = std::getenv("AS_SIM_SNAPSHOT_WINDOW"))
    opts.crash_in_snapshot_install = std::string{s} == "1";
  if (const char* s = std::getenv("AS_SIM_FAULT_MS"))
    opts.fault_ms = std::strtoull(s, nullptr, 10);
  if (std::getenv("AS_SIM_FORCE_NEW_CLUSTER"))
    opts.force_new_cluster = true;
  if (const char* s = std::getenv("AS_SEED"))
    opts.seed = std::strtoull(s, nullptr, 10);
  if (const char* s = std::getenv("AS_SIM_MANAGERS"))
    opts.managers = std::strtoull(s, nullptr, 10);
  auto schedule = make_schedule(opts);
  std::vector<size_t> kept;
  if (const char* s = std::getenv("AS_SIM_KEEP")) {
    std::stringstream in(s);
    std::string x;
    while (std::getline(in, x, ','))
      if (!x.empty())
        kept.push_back(std::strtoull(x.c_str(), nullptr, 10));
  } else {
    for (size_t i = 0; i < schedule.size(); ++i)
      kept.push_back(i);
  }
  auto r = run_simulation(opts, select(schedule, kept));
  std::cerr << describe_failure(opts, r, schedule, &kept);
  CHECK(r.ok());
}

// -- properties of the simulation itself ---------------------------------

TEST_CASE("sim: a seed replays exactly (determinism)", "[sim]") {
  auto opts = ci_options();
  opts.seed = 42;
  auto a = run_seed(opts);
  auto b = run_seed(opts);
  CHECK(a.digest == b.digest);
  CHECK(a.messages == b.messages);
  CHECK(a.ops == b.ops);
}

TEST_CASE("sim: runs do real work (acknowledged ops and restarts)", "[sim]") {
  auto opts = ci_options();
  size_t acked = 0;
  size_t restarts = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    opts.seed = seed;
    auto r = run_seed(opts);
    REQUIRE(r.ok());
    acked += r.acknowledged;
    restarts += r.restarts;
  }
  CHECK(acked > 50);
  CHECK(restarts > 5);
}

TEST_CASE("sim: orchestration runs tasks (leader actors and agents)", "[sim]") {
  auto opts = ci_options();
  size_t started = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    opts.seed = seed;
    auto r = run_seed(opts);
    REQUIRE(r.ok());
    started += r.tasks_started;
  }
  std::cerr << "sim: 5 seeds started " << started << " task processes\n";
  CHECK(started > 20);
}

// A manager cut off for 22 s is marked DOWN (15 s unreachable) and its
// tasks move; it runs them on meanwhile (two processes in a slot). Once the
// network heals, the old ones must stop within the reconciliation window.
TEST_CASE("sim: orchestration - tasks move off a cut-off manager and the "
          "old ones stop after the heal",
          "[sim]") {
  auto opts = ci_options();
  opts.fault_ms = 30000;
  opts.disk_faults = false;
  size_t moved = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    opts.seed = seed;
    // Healed with everything else at the end of the fault phase.
    std::vector<fault_event> schedule(1);
    schedule[0].at = 8000;
    schedule[0].what = fault_event::kind::partition;
    schedule[0].side = {3};
    auto r = run_simulation(opts, schedule);
    INFO(describe_failure(opts, r, schedule));
    REQUIRE(r.ok());
    moved += r.duplicate_slots;
  }
  std::cerr << "sim: a cut-off manager's tasks ran twice in " << moved
            << " slots, all stopped in time\n";
  CHECK(moved > 0);
}

// -- bug switches (issue #9, FoundationDB's BUGGIFY) ---------------------

// Defect 1: a follower that crashes between publishing the leader's
// snapshot and compacting its log cannot start again.
TEST_CASE("sim: finds defect 1 (no start-up reconcile) with its bug switch",
          "[sim][bugs]") {
  sim_options o;
  o.crash_in_snapshot_install = true;
  finds_with_switch(raft::bugs::skip_startup_reconcile, o, 200,
                    "cannot restart");
}

TEST_CASE("sim: crashes inside snapshot installs are survived (defect 1 "
          "fixed)",
          "[sim][bugs]") {
  sim_options o;
  o.crash_in_snapshot_install = true;
  run_seeds(o, seed_range(5001, 100), false);
}

// Defect 3: force-new-cluster's crash window and the committed entries it
// dropped.
TEST_CASE("sim: finds defect 3 (unsafe force-new-cluster) with its bug "
          "switch",
          "[sim][bugs]") {
  auto o = ci_options();
  o.force_new_cluster = true;
  finds_with_switch(raft::bugs::unsafe_force_new_cluster, o, 200, "");
}

TEST_CASE("sim: force-new-cluster with crashes inside is safe (defect 3 "
          "fixed)",
          "[sim][bugs]") {
  auto o = ci_options();
  o.force_new_cluster = true;
  run_seeds(o, seed_range(7001, 100), false);
}
