#include "actors/raft/raft_core.hpp"

#include <catch2/catch.hpp>

#include "unit/raft/raft_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::raft;
using namespace actorswarm::raft::test;

TEST_CASE("raft: single voter elects itself and commits", "[unit]") {
  test_node n{config(1), {1}};
  n.tick(20);
  CHECK(n.core->state() == role::leader);
  auto idx = n.core->propose("hello");
  REQUIRE(idx.ok());
  n.flush();
  CHECK(n.core->log().committed() == *idx);
  CHECK(n.applied_data() == std::vector<std::string>{"hello"});
}

TEST_CASE("raft: three voters elect one leader and replicate", "[unit]") {
  test_cluster c{3};
  c.elect(1);
  REQUIRE(c.leader() == 1);
  CHECK(c[2].core->lead() == 1);
  REQUIRE(c[1].core->propose("x").ok());
  c.stabilize();
  for (uint64_t id = 1; id <= 3; ++id)
    CHECK(c[id].applied_data() == std::vector<std::string>{"x"});
}
