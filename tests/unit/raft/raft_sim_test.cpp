// Seeded simulation of 3 and 5 raft cores under faults. A failing seed
// prints itself (INFO seed=...) and replays with AS_SEED=<seed>; AS_SEEDS
// sets how many seeds run. The [.soak] variant runs many more.

#include "unit/raft/raft_sim.hpp"

#include <catch2/catch.hpp>

#include "support/seed.hpp"

using namespace actorswarm;
using namespace actorswarm::raft::test;

namespace {

void run_seeds(size_t nodes, uint64_t default_count, uint64_t first) {
  uint64_t total_committed = 0;
  for (auto seed : actorswarm::test::seeds_from_env(default_count, first)) {
    INFO("seed=" << seed << " nodes=" << nodes
                 << " (replay: AS_SEED=" << seed << ")");
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
  }
  // The simulation must actually commit something.
  CHECK(total_committed > 0);
}

} // namespace

TEST_CASE("raft sim: 3 nodes under faults keep every safety property",
          "[unit][sim]") {
  run_seeds(3, 600, 1);
}

TEST_CASE("raft sim: 5 nodes under faults keep every safety property",
          "[unit][sim]") {
  run_seeds(5, 400, 100001);
}

TEST_CASE("raft sim soak: 3 nodes, many seeds", "[.soak]") {
  run_seeds(3, 100000, 1000001);
}

TEST_CASE("raft sim soak: 5 nodes, many seeds", "[.soak]") {
  run_seeds(5, 100000, 2000001);
}
