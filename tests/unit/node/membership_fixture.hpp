#pragma once

// What the membership rule tests share: the includes, the deterministic
// secrets and the identities and views they build.

#include <catch2/catch.hpp>

#include "actors/ca/join_token.hpp"
#include "actors/node/membership.hpp"
#include "persistence/memory_node_stores.hpp"
#include "support/fake_secrets.hpp"

namespace pb = actorswarm::pb;
namespace raft = actorswarm::raft;
using actorswarm::errc;
using actorswarm::failure;
using namespace actorswarm::node;

namespace membership_test {

// Deterministic randomness and CA for every membership test.
inline const cluster_secrets secrets = actorswarm::test::fake_secrets();

constexpr int64_t now_ns = 1'700'000'000'000'000'000;
constexpr int64_t second_ns = 1'000'000'000;

// A Raft view of `voters` (raft ids 1..voters) led by `lead`, reaching the
// ids in `reachable`.
inline raft::raft_status status_of(uint64_t voters, uint64_t lead,
                                   std::vector<uint64_t> reachable,
                                   uint64_t self = 1) {
  raft::raft_status st;
  st.raft_id = self;
  st.lead = lead;
  st.is_leader = lead == self;
  for (uint64_t id = 1; id <= voters; ++id) {
    auto* m = st.members.add_voters();
    m->set_raft_id(id);
    m->set_node_id("node" + std::to_string(id));
    m->set_addr("10.0.0." + std::to_string(id) + ":2377");
  }
  st.reachable = std::move(reachable);
  return st;
}

// A manager node as the store holds it.
inline std::shared_ptr<const pb::Node>
manager(uint64_t raft_id, bool leader, bool reachable = true,
        pb::NodeStatus::State state = pb::NodeStatus::READY,
        const std::string& message = "") {
  pb::Node n;
  n.set_id("node" + std::to_string(raft_id));
  n.set_role(pb::NodeSpec::MANAGER);
  n.mutable_status()->set_state(state);
  n.mutable_status()->set_message(message);
  auto& ms = *n.mutable_manager_status();
  ms.set_raft_id(raft_id);
  ms.set_leader(leader);
  ms.set_reachability(reachable ? pb::ManagerStatus::REACHABLE
                                : pb::ManagerStatus::UNREACHABLE);
  return std::make_shared<const pb::Node>(n);
}

inline identity member_of_swarm(bool worker = false) {
  identity id;
  id.node_id = "n1";
  id.cluster_id = "c1";
  id.addr = "10.0.0.1:2377";
  id.raft_id = 1;
  id.worker = worker;
  return id;
}

inline pb::SwarmInitRequest init_req(const std::string& listen,
                                     const std::string& advertise = "") {
  pb::SwarmInitRequest req;
  req.set_listen_addr(listen);
  req.set_advertise_addr(advertise);
  return req;
}

const std::string leave_text = "You are attempting to leave the swarm on a "
                               "node that is participating as a manager. ";

} // namespace membership_test

using namespace membership_test;
