#include "actors/control/control_logic.hpp"

#include <catch2/catch.hpp>

#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_cluster;
using actorswarm::test::make_manager;
using actorswarm::test::make_node;
using actorswarm::test::make_spec;
using actorswarm::test::now_ns;
using actorswarm::test::refusal;
using actorswarm::test::view_builder;

namespace {

using R = pb::ControlRequest;

enum class route { membership, read, write };

// One request of every kind, with where the control actor sends it.
std::vector<std::pair<pb::ControlRequest, route>> every_request() {
  std::vector<std::pair<pb::ControlRequest, route>> xs;
  auto add = [&](route r, auto set) {
    pb::ControlRequest req;
    set(req);
    xs.emplace_back(std::move(req), r);
  };
  add(route::membership, [](R& r) { r.mutable_info(); });
  add(route::membership, [](R& r) { r.mutable_swarm_init(); });
  add(route::membership, [](R& r) { r.mutable_swarm_join(); });
  add(route::membership, [](R& r) { r.mutable_swarm_leave(); });
  add(route::membership, [](R& r) { r.mutable_join_token(); });
  add(route::membership, [](R& r) { r.mutable_node_role(); });
  add(route::membership, [](R& r) { r.mutable_node_remove(); });
  add(route::read, [](R& r) { r.mutable_node_list(); });
  add(route::read, [](R& r) { r.mutable_node_inspect(); });
  add(route::read, [](R& r) { r.mutable_service_list(); });
  add(route::read, [](R& r) { r.mutable_service_inspect(); });
  add(route::read, [](R& r) { r.mutable_task_list(); });
  add(route::read, [](R& r) { r.mutable_logs(); });
  add(route::read, [](R& r) { r.mutable_unlock_key(); });
  add(route::read, [](R& r) { r.mutable_swarm_unlock(); });
  add(route::read, [](R& r) { r.mutable_swarm_ca(); });
  add(route::read, [](R& r) { r.mutable_network_list(); });
  add(route::read, [](R& r) { r.mutable_network_inspect(); });
  add(route::write, [](R& r) { r.mutable_network_create(); });
  add(route::write, [](R& r) { r.mutable_network_remove(); });
  add(route::write, [](R& r) { r.mutable_swarm_update(); });
  add(route::write, [](R& r) { r.mutable_node_update(); });
  add(route::write, [](R& r) { r.mutable_service_create(); });
  add(route::write, [](R& r) { r.mutable_service_scale(); });
  add(route::write, [](R& r) { r.mutable_service_remove(); });
  add(route::write, [](R& r) { r.mutable_service_update(); });
  return xs;
}

} // namespace

TEST_CASE("control logic: every request has one route", "[unit]") {
  auto xs = every_request();
  // Every kind of the oneof is covered.
  auto* oneof = R::descriptor()->FindOneofByName("request");
  REQUIRE(oneof != nullptr);
  CHECK(xs.size() == static_cast<size_t>(oneof->field_count()));
  for (auto& [req, where] : xs) {
    INFO(req.ShortDebugString());
    CHECK(is_membership(req) == (where == route::membership));
    CHECK(is_read(req) == (where == route::read));
    CHECK(shows_raft_status(req)
          == (req.has_node_list() || req.has_node_inspect()));
  }
  pb::ControlRequest empty;
  CHECK_FALSE(is_membership(empty));
  CHECK_FALSE(is_read(empty));
}

TEST_CASE("control logic: not a manager, in docker's words", "[unit]") {
  auto r = not_manager_reply();
  CHECK(r.code() == static_cast<uint32_t>(errc::not_in_swarm));
  CHECK(r.error()
        == "This node is not a swarm manager. Use \"actorswarm swarm init\" or "
           "\"actorswarm swarm join\" to connect this node to swarm and try "
           "again.");
}

TEST_CASE("control logic: reads answer from the view", "[unit]") {
  view_builder b;
  b.add(make_node("n1")).add(make_node("n2"));
  b.add(test::make_service("s1", make_spec("web", 1)));
  pb::ControlRequest req;
  SECTION("node ls names this node") {
    req.mutable_node_list();
    auto r = answer_read(b.view(), req, "n2");
    CHECK(r.code() == 0);
    CHECK(r.nodes_size() == 2);
    CHECK(r.info().node_id() == "n2");
  }
  SECTION("node inspect self") {
    req.mutable_node_inspect()->add_refs("self");
    auto r = answer_read(b.view(), req, "n2");
    REQUIRE(r.nodes_size() == 1);
    CHECK(r.nodes(0).id() == "n2");
  }
  SECTION("a refused read is an error reply") {
    req.mutable_service_inspect()->add_refs("nope");
    auto r = answer_read(b.view(), req, "n1");
    CHECK(r.code() == static_cast<uint32_t>(errc::not_found));
    CHECK(r.error() == "No such service: nope");
    CHECK(r.services_size() == 0);
  }
  SECTION("a request that is no read") {
    req.mutable_service_scale();
    auto r = answer_read(b.view(), req, "n1");
    CHECK(r.code() == static_cast<uint32_t>(errc::bad_request));
    CHECK(r.error() == "unknown control request");
  }
}

TEST_CASE("control logic: a read no leader confirmed carries a warning",
          "[unit]") {
  pb::ControlReply ok;
  finish_read(ok, true, nullptr);
  CHECK(ok.warning().empty());
  finish_read(ok, false, nullptr);
  CHECK(ok.warning() == stale_read_warning);
  // A refusal is refused, stale or not: no warning on top.
  auto refused = error_reply(fail(errc::not_found, "No such service: x"));
  finish_read(refused, false, nullptr);
  CHECK(refused.warning().empty());
}

TEST_CASE("control logic: node reads get the live Raft view", "[unit]") {
  view_builder b;
  b.add(make_manager("m1", 1)).add(make_manager("m2", 2));
  pb::ControlRequest req;
  req.mutable_node_list();
  auto r = answer_read(b.view(), req, "m1");
  raft::raft_status st;
  st.raft_id = 1;
  st.lead = 1;
  st.is_leader = true;
  st.reachable = {1};
  for (uint64_t id : {1, 2})
    st.members.add_voters()->set_raft_id(id);
  finish_read(r, true, &st);
  CHECK(r.nodes(0).manager_status().leader());
  CHECK(r.nodes(1).manager_status().reachability()
        == pb::ManagerStatus::UNREACHABLE);
}

TEST_CASE("control logic: writes go to the rules of their kind", "[unit]") {
  view_builder b;
  b.add(make_cluster()).add(make_node("n1"));
  b.add(test::make_service("s1", make_spec("web", 1)));
  std::mt19937_64 gen{7};
  pb::ControlRequest req;
  SECTION("service create") {
    *req.mutable_service_create()->mutable_spec() = make_spec("api", 1);
    auto d = decide_write(b.view(), req, "n1", gen, now_ns);
    REQUIRE(d);
    CHECK(d->batch.actions(0).kind() == pb::StoreAction::CREATE);
    CHECK(d->batch.actions(0).service().spec().name() == "api");
  }
  SECTION("service scale") {
    req.mutable_service_scale()->set_ref("web");
    req.mutable_service_scale()->set_replicas(4);
    auto d = decide_write(b.view(), req, "n1", gen, now_ns);
    REQUIRE(d);
    CHECK(d->batch.actions(0).service().spec().replicas() == 4);
  }
  SECTION("service rm") {
    req.mutable_service_remove()->add_refs("web");
    auto d = decide_write(b.view(), req, "n1", gen, now_ns);
    REQUIRE(d);
    CHECK(d->batch.actions(0).kind() == pb::StoreAction::REMOVE);
  }
  SECTION("node update of self") {
    req.mutable_node_update()->set_ref("self");
    auto d = decide_write(b.view(), req, "n1", gen, now_ns);
    REQUIRE(d);
    CHECK(d->batch.actions(0).node().id() == "n1");
  }
  SECTION("swarm update") {
    req.mutable_swarm_update()->set_set_task_history_limit(true);
    auto d = decide_write(b.view(), req, "n1", gen, now_ns);
    REQUIRE(d);
    CHECK(d->batch.actions(0).has_cluster());
  }
  SECTION("a request that is no write") {
    req.mutable_service_list();
    auto d = decide_write(b.view(), req, "n1", gen, now_ns);
    CHECK(refusal(d).code == errc::bad_request);
    CHECK(refusal(d).message == "unknown control request");
  }
}

TEST_CASE("control logic: error replies and single-action batches", "[unit]") {
  auto r = error_reply(fail(errc::stale_version, "out of sequence"));
  CHECK(r.code() == static_cast<uint32_t>(errc::stale_version));
  CHECK(r.error() == "out of sequence");
  auto b = single_action(pb::StoreAction::REMOVE, now_ns);
  CHECK(b.atomic());
  CHECK(b.proposed_at_ns() == now_ns);
  REQUIRE(b.actions_size() == 1);
  CHECK(b.actions(0).kind() == pb::StoreAction::REMOVE);
}
