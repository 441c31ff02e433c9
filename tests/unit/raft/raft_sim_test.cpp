// Seeded simulation of 3 and 5 raft cores under faults. A failing seed
// prints itself (INFO seed=...) and replays with AS_SEED=<seed>; AS_SEEDS
// sets how many seeds run. The [.soak] variant runs many more.

#include "unit/raft/raft_sim.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "support/seed.hpp"

using namespace actorswarm;
using namespace actorswarm::raft::test;

namespace {

void run_seeds(size_t nodes, uint64_t default_count, uint64_t first) {
  uint64_t total_committed = 0;
  uint64_t snapshots = 0;
  uint64_t conf_changes = 0;
  for (auto seed : actorswarm::test::seeds_from_env(default_count, first)) {
    INFO("seed=" << seed << " nodes=" << nodes << " (replay: AS_SEED=" << seed
                 << ")");
    auto cfg = sim_config::random(seed, nodes);
    raft_sim a{seed, cfg};
    auto ha = a.run();
    INFO("error: " << a.error());
    REQUIRE(a.error().empty());
    raft_sim b{seed, cfg};
    auto hb = b.run();
    // Determinism: the same seed gives the same run.
    REQUIRE(ha == hb);
    total_committed += a.committed();
    snapshots += a.snapshots_installed();
    conf_changes += a.conf_changes_applied();
  }
  // The simulation must actually exercise what it claims to.
  CHECK(total_committed > 0);
  if (std::getenv("AS_SEED") == nullptr) {
    CHECK(snapshots > 0);
    CHECK(conf_changes > 0);
  }
}

} // namespace

TEST_CASE("raft sim: 3 nodes under faults keep every safety property",
          "[unit][sim]") {
  run_seeds(3, 1200, 1);
}

TEST_CASE("raft sim: 5 nodes under faults keep every safety property",
          "[unit][sim]") {
  run_seeds(5, 800, 100001);
}

TEST_CASE("raft sim soak: 3 nodes, many seeds", "[.soak]") {
  run_seeds(3, 100000, 1000001);
}

TEST_CASE("raft sim soak: 5 nodes, many seeds", "[.soak]") {
  run_seeds(5, 100000, 2000001);
}
