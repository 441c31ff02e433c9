#include "actors/control/cluster_rules.hpp"

#include <catch2/catch.hpp>

#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_cluster;
using actorswarm::test::make_manager;
using actorswarm::test::make_node;
using actorswarm::test::make_spec;
using actorswarm::test::make_task;
using actorswarm::test::now_ns;
using actorswarm::test::refusal;
using actorswarm::test::view_builder;

TEST_CASE("control rules: swarm update sets only the fields it names",
          "[unit]") {
  view_builder b;
  b.add(make_cluster());
  pb::SwarmUpdateRequest req;
  req.set_set_task_history_limit(true);
  req.set_task_history_limit(2);
  req.set_election_tick(99); // not named: ignored
  auto d = update_swarm(b.view(), req, now_ns);
  REQUIRE(d);
  REQUIRE(d->batch.actions_size() == 1);
  auto& a = d->batch.actions(0);
  CHECK(a.kind() == pb::StoreAction::UPDATE);
  CHECK(a.cluster().id() == "c1");
  CHECK(a.cluster().spec().task_history_limit() == 2);
  CHECK(a.cluster().spec().election_tick() == 10);
  CHECK(d->ok.ByteSizeLong() == 0);
  b.apply(d->batch);
  CHECK(b.view().cluster()->spec().task_history_limit() == 2);
}

TEST_CASE("control rules: swarm update keeps election tick above heartbeat "
          "tick",
          "[unit]") {
  view_builder b;
  b.add(make_cluster()); // election 10, heartbeat 1
  struct tick_case {
    int election;  // -1: not set
    int heartbeat; // -1: not set
    bool ok;
  };
  std::vector<tick_case> cases = {
    {20, 2, true}, {-1, 9, true}, {2, -1, true},   {10, 0, false},
    {5, 5, false}, {4, 5, false}, {-1, 10, false}, {1, -1, false},
  };
  for (auto& c : cases) {
    INFO("election " << c.election << " heartbeat " << c.heartbeat);
    pb::SwarmUpdateRequest req;
    if (c.election >= 0) {
      req.set_set_election_tick(true);
      req.set_election_tick(c.election);
    }
    if (c.heartbeat >= 0) {
      req.set_set_heartbeat_tick(true);
      req.set_heartbeat_tick(c.heartbeat);
    }
    auto d = update_swarm(b.view(), req, now_ns);
    CHECK(static_cast<bool>(d) == c.ok);
    if (!c.ok) {
      CHECK(refusal(d).code == errc::invalid_spec);
      CHECK(refusal(d).message
            == "election tick must be greater than heartbeat tick, and "
               "heartbeat tick must be at least 1");
    }
  }
}

TEST_CASE("control rules: swarm update without a cluster is refused as not a "
          "manager",
          "[unit]") {
  view_builder b;
  pb::SwarmUpdateRequest req;
  auto d = update_swarm(b.view(), req, now_ns);
  CHECK(refusal(d).code == errc::not_in_swarm);
  CHECK(refusal(d).message
        == "This node is not a swarm manager. Use \"actorswarm swarm init\" or "
           "\"actorswarm swarm join\" to connect this node to swarm and try "
           "again.");
}

TEST_CASE("control rules: info counts what the view holds", "[unit]") {
  view_builder b;
  b.add(make_cluster());
  b.add(make_manager("m1", 1)).add(make_node("w1")).add(make_node("w2"));
  auto web = test::make_service("s1", make_spec("web", 2));
  b.add(web);
  b.add(make_task("t1", web, 1, "w1", pb::RUNNING));
  b.add(make_task("t2", web, 2, "w2", pb::STARTING));
  auto info = info_from(b.view());
  CHECK(info.managers() == 1);
  CHECK(info.nodes() == 3);
  CHECK(info.services() == 1);
  CHECK(info.tasks() == 2);
  CHECK(info.running_tasks() == 1);
  CHECK(info.cluster_id() == "c1");
  CHECK(info.cluster_spec().election_tick() == 10);
  // The node actor's identity fields win over the view's.
  pb::Info from_node;
  from_node.set_node_id("m1");
  from_node.set_cluster_id("from-node");
  add_counts(from_node, b.view());
  CHECK(from_node.node_id() == "m1");
  CHECK(from_node.cluster_id() == "from-node");
  CHECK(from_node.nodes() == 3);
  CHECK(from_node.running_tasks() == 1);
}

TEST_CASE("control rules: info's Raft part comes from the live view",
          "[unit]") {
  raft::raft_status st;
  st.term = 7;
  st.lead = 2;
  for (uint64_t id : {1, 2}) {
    auto* m = st.members.add_voters();
    m->set_raft_id(id);
    m->set_addr("127.0.0." + std::to_string(id) + ":2377");
  }
  pb::Info info;
  add_raft_info(info, st, 42);
  CHECK(info.raft_term() == 7);
  CHECK(info.raft_commit() == 42);
  CHECK(info.leader_addr() == "127.0.0.2:2377");
  st.lead = 0;
  pb::Info none;
  add_raft_info(none, st, 42);
  CHECK(none.leader_addr().empty());
}

TEST_CASE("control rules: the CLI never sees the CA key", "[unit]") {
  auto c = public_cluster(make_cluster());
  CHECK(c.root_ca_key_pem().empty());
  CHECK(c.root_ca_cert_pem() == "cert");
  CHECK(c.id() == "c1");
}

TEST_CASE("control rules: swarm update --cert-expiry is stored, under an "
          "hour refused",
          "[unit]") {
  view_builder b;
  b.add(make_cluster());
  constexpr int64_t hour_ns = 3600LL * 1000 * 1000 * 1000;
  pb::SwarmUpdateRequest req;
  req.set_set_cert_expiry(true);
  req.set_cert_expiry_ns(2 * hour_ns);
  auto d = update_swarm(b.view(), req, now_ns);
  REQUIRE(d);
  CHECK(d->batch.actions(0).cluster().spec().ca_config().node_cert_expiry_ns()
        == 2 * hour_ns);
  for (int64_t bad : {hour_ns - 1, int64_t{0}, int64_t{-5}}) {
    INFO("expiry " << bad);
    req.set_cert_expiry_ns(bad);
    auto r = update_swarm(b.view(), req, now_ns);
    CHECK(refusal(r).code == errc::invalid_spec);
    CHECK(refusal(r).message == "minimum certificate expiry time is 1h0m0s");
  }
  req.set_cert_expiry_ns(hour_ns);
  CHECK(update_swarm(b.view(), req, now_ns));
  // Without the flag the stored expiry stays.
  b.apply(d->batch);
  pb::SwarmUpdateRequest other;
  other.set_set_task_history_limit(true);
  other.set_task_history_limit(3);
  auto o = update_swarm(b.view(), other, now_ns);
  REQUIRE(o);
  CHECK(o->batch.actions(0).cluster().spec().ca_config().node_cert_expiry_ns()
        == 2 * hour_ns);
}

TEST_CASE("control rules: swarm ca --rotate bumps force_rotate, swarm ca "
          "shows the root",
          "[unit]") {
  view_builder b;
  auto c = make_cluster();
  c.set_root_ca_cert_pem("ROOT");
  c.set_root_ca_key_pem("KEY");
  b.add(c);
  auto shown = read_ca(b.view());
  CHECK(shown.code() == 0);
  CHECK(shown.text() == "ROOT");
  CHECK(shown.cluster().root_ca_key_pem().empty());
  pb::SwarmUpdateRequest req;
  req.set_rotate_ca(true);
  auto d = update_swarm(b.view(), req, now_ns);
  REQUIRE(d);
  CHECK(d->batch.actions(0).cluster().spec().ca_config().force_rotate() == 1);
  CHECK(d->ok.cluster().spec().ca_config().force_rotate() == 1);
  CHECK(d->ok.cluster().root_ca_key_pem().empty());
  b.apply(d->batch);
  d = update_swarm(b.view(), req, now_ns);
  REQUIRE(d);
  CHECK(d->batch.actions(0).cluster().spec().ca_config().force_rotate() == 2);
  view_builder empty;
  CHECK(read_ca(empty.view()).code()
        == static_cast<uint32_t>(errc::not_in_swarm));
}
