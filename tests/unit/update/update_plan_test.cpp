#include "actors/update/update_plan.hpp"

#include "actors/update/update_policy.hpp"
#include "unit/orchestrator/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::update;
using orchestrator::test::make_node;
using orchestrator::test::make_service;
using orchestrator::test::make_task;

namespace {

// The service after `service update` with `edit` applied (spec_version up).
template <class Edit>
pb::Service updated(pb::Service s, Edit edit) {
  edit(*s.mutable_spec());
  s.set_spec_version(s.spec_version() + 1);
  return s;
}

pb::Service with_command(pb::Service s, const std::string& cmd) {
  s.mutable_spec()->mutable_task()->mutable_container()->add_command(cmd);
  return s;
}

struct plan_fixture {
  pb::Service v1 = with_command(make_service("s1", 3), "sleep");
  orchestrator::node_map nodes;
  outdated_context ctx;

  plan_fixture() {
    auto n = make_node("n1");
    (*n.mutable_spec()->mutable_labels())["zone"] = "east";
    nodes["n1"] = n;
    ctx.node_of = [this](const std::string& id) -> const pb::Node* {
      auto i = nodes.find(id);
      return i == nodes.end() ? nullptr : &i->second;
    };
  }
};

} // namespace

TEST_CASE_METHOD(plan_fixture,
                 "update plan: a task of the service's spec_version is never "
                 "outdated",
                 "[unit]") {
  auto t = make_task(v1, 1, "n1", pb::RUNNING);
  CHECK_FALSE(outdated(v1, t, ctx));
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: a new spec_version with the same task spec "
                 "(scale, labels) outdates nothing",
                 "[unit]") {
  auto t = make_task(v1, 1, "n1", pb::RUNNING);
  auto v2 = updated(v1, [](pb::ServiceSpec& s) {
    s.set_replicas(7);
    (*s.mutable_labels())["a"] = "b";
  });
  CHECK_FALSE(outdated(v2, t, ctx));
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: a changed command, env or force_update outdates "
                 "the task",
                 "[unit]") {
  auto t = make_task(v1, 1, "n1", pb::RUNNING);
  CHECK(outdated(updated(v1,
                         [](pb::ServiceSpec& s) {
                           s.mutable_task()->mutable_container()->add_command(
                             "3600");
                         }),
                 t, ctx));
  CHECK(outdated(updated(v1,
                         [](pb::ServiceSpec& s) {
                           s.mutable_task()->mutable_container()->add_env(
                             "A=1");
                         }),
                 t, ctx));
  CHECK(outdated(updated(v1,
                         [](pb::ServiceSpec& s) {
                           s.mutable_task()->set_force_update(1);
                         }),
                 t, ctx));
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: container labels compare as a map, whatever "
                 "their order",
                 "[unit]") {
  auto* l = v1.mutable_spec()->mutable_task()->mutable_container();
  (*l->mutable_labels())["a"] = "1";
  (*l->mutable_labels())["b"] = "2";
  auto t = make_task(v1, 1, "n1", pb::RUNNING);
  auto v2 = updated(v1, [](pb::ServiceSpec& s) {
    auto& m = *s.mutable_task()->mutable_container()->mutable_labels();
    m.clear();
    m["b"] = "2";
    m["a"] = "1";
  });
  CHECK_FALSE(outdated(v2, t, ctx));
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: a placement change alone keeps a task whose "
                 "node still fits and outdates one whose node does not",
                 "[unit]") {
  auto t = make_task(v1, 1, "n1", pb::RUNNING);
  auto east = updated(v1, [](pb::ServiceSpec& s) {
    s.mutable_task()->mutable_placement()->add_constraints(
      "node.labels.zone==east");
  });
  auto west = updated(v1, [](pb::ServiceSpec& s) {
    s.mutable_task()->mutable_placement()->add_constraints(
      "node.labels.zone==west");
  });
  CHECK_FALSE(outdated(east, t, ctx));
  CHECK(outdated(west, t, ctx));
  // Placement and something else: outdated wherever it runs.
  auto both = updated(east, [](pb::ServiceSpec& s) {
    s.mutable_task()->mutable_container()->add_env("A=1");
  });
  CHECK(outdated(both, t, ctx));
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: a changed endpoint or network outdates an "
                 "allocated task, not one still NEW",
                 "[unit]") {
  auto t = make_task(v1, 1, "n1", pb::RUNNING);
  auto fresh = make_task(v1, 2, "", pb::NEW);
  auto ports = updated(v1, [](pb::ServiceSpec& s) {
    s.mutable_endpoint()->add_ports()->set_target_port(80);
  });
  CHECK(outdated(ports, t, ctx));
  CHECK_FALSE(outdated(ports, fresh, ctx));
  auto net = updated(v1, [](pb::ServiceSpec& s) {
    auto* n = s.add_networks();
    n->set_target("net1");
    n->add_aliases("web");
  });
  CHECK(outdated(net, t, ctx));
  CHECK_FALSE(outdated(net, fresh, ctx));
  // A task on net1 with the alias, and on ingress: up to date.
  auto on = t;
  auto* a = on.add_networks();
  a->set_network_id("net1");
  a->add_aliases("web");
  on.add_networks()->set_network_id("ing");
  ctx.ingress_network_id = "ing";
  CHECK_FALSE(outdated(net, on, ctx));
  auto other_alias = updated(net, [](pb::ServiceSpec& s) {
    s.mutable_networks(0)->set_aliases(0, "api");
  });
  CHECK(outdated(other_alias, on, ctx));
}

TEST_CASE("update plan: spec_changes_tasks sees task, endpoint and network "
          "changes, not name, labels, replicas or policies",
          "[unit]") {
  pb::ServiceSpec a;
  a.set_name("web");
  a.mutable_task()->mutable_container()->set_image("host");
  auto b = a;
  b.set_replicas(5);
  (*b.mutable_labels())["x"] = "y";
  b.mutable_update()->set_parallelism(3);
  b.mutable_rollback()->set_parallelism(3);
  CHECK_FALSE(spec_changes_tasks(a, b));
  auto c = a;
  c.mutable_task()->set_force_update(1);
  CHECK(spec_changes_tasks(a, c));
  auto d = a;
  d.mutable_endpoint()->set_mode(pb::EndpointSpec::DNSRR);
  CHECK(spec_changes_tasks(a, d));
  auto e = a;
  e.add_networks()->set_target("n");
  CHECK(spec_changes_tasks(a, e));
}

TEST_CASE("update plan: a task is up when running and healthy, or running "
          "without a health check",
          "[unit]") {
  auto s = make_service("s1", 1);
  auto t = make_task(s, 1, "n1", pb::RUNNING);
  CHECK(is_up(t));
  t.mutable_status()->set_state(pb::STARTING);
  CHECK_FALSE(is_up(t));
  t.mutable_status()->set_state(pb::RUNNING);
  auto* hc = t.mutable_spec()->mutable_container()->mutable_healthcheck();
  hc->add_test("CMD-SHELL");
  hc->add_test("true");
  CHECK_FALSE(is_up(t)); // no verdict yet
  t.mutable_status()->set_health(pb::TaskStatus::STARTING);
  CHECK_FALSE(is_up(t));
  t.mutable_status()->set_health(pb::TaskStatus::UNHEALTHY);
  CHECK_FALSE(is_up(t));
  t.mutable_status()->set_health(pb::TaskStatus::HEALTHY);
  CHECK(is_up(t));
  // --no-healthcheck: test ["NONE"] is no check.
  t.mutable_status()->set_health(pb::TaskStatus::NONE);
  hc->clear_test();
  hc->add_test("NONE");
  CHECK(is_up(t));
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: slots group fresh, outdated and stopping tasks, "
                 "dirty and in-flight slots are told apart",
                 "[unit]") {
  auto v2 = updated(v1, [](pb::ServiceSpec& s) {
    s.mutable_task()->mutable_container()->add_env("A=1");
  });
  std::vector<pb::Task> ts;
  ts.push_back(make_task(v1, 1, "n1", pb::RUNNING));  // dirty
  ts.push_back(make_task(v1, 2, "n1", pb::RUNNING));  // start-first
  ts.push_back(make_task(v2, 2, "n1", pb::STARTING)); //   its new task
  ts.push_back(make_task(v1, 3, "n1", pb::RUNNING, pb::SHUTDOWN)); // stop-
  ts.push_back(make_task(v2, 3, "", pb::NEW, pb::READY));          // first
  ts.push_back(make_task(v1, 4, "n1", pb::RUNNING)); // above replicas
  ts.push_back(make_task(v1, 1, "n1", pb::FAILED));  // history
  auto is_old = [&](const pb::Task& t) { return outdated(v2, t, ctx); };
  auto slots = slots_of(v2, ts, is_old);
  REQUIRE(slots.size() == 3);
  CHECK(slots[0].key.slot == 1);
  CHECK(slots[0].dirty());
  CHECK_FALSE(slots[0].in_flight());
  CHECK(slots[1].in_flight());
  CHECK_FALSE(slots[1].dirty());
  CHECK_FALSE(slots[1].fresh_up());
  CHECK(slots[2].in_flight());
  CHECK(slots[2].stopping.size() == 1);
  CHECK(slots[2].fresh.size() == 1);
  // The next batch: dirty slots only, up to parallelism, skipping attempted.
  CHECK(next_batch(slots, {}, 1).size() == 1);
  CHECK(next_batch(slots, {}, 0).size() == 1);
  CHECK(next_batch(slots, {slot_key{1, ""}}, 0).empty());
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: batches take parallelism slots in slot order, "
                 "all of them with parallelism 0",
                 "[unit]") {
  auto s = make_service("s1", 5);
  auto v2 = updated(s, [](pb::ServiceSpec& x) {
    x.mutable_task()->mutable_container()->add_env("A=1");
  });
  std::vector<pb::Task> ts;
  for (uint64_t i = 5; i >= 1; --i)
    ts.push_back(make_task(s, i, "n1", pb::RUNNING));
  auto is_old = [&](const pb::Task& t) { return outdated(v2, t, ctx); };
  auto slots = slots_of(v2, ts, is_old);
  auto b = next_batch(slots, {}, 2);
  REQUIRE(b.size() == 2);
  CHECK(b[0]->key.slot == 1);
  CHECK(b[1]->key.slot == 2);
  b = next_batch(slots, {slot_key{1, ""}, slot_key{2, ""}}, 2);
  REQUIRE(b.size() == 2);
  CHECK(b[0]->key.slot == 3);
  CHECK(b[1]->key.slot == 4);
  CHECK(next_batch(slots, {}, 0).size() == 5);
  CHECK(next_batch(slots, {}, 9).size() == 5);
}

TEST_CASE("update plan: global slots are nodes", "[unit]") {
  auto s = make_service("g", 0, pb::ServiceSpec::GLOBAL);
  std::vector<pb::Task> ts{make_task(s, 0, "n2", pb::RUNNING),
                           make_task(s, 0, "n1", pb::RUNNING)};
  auto slots = slots_of(s, ts, [](const pb::Task&) { return true; });
  REQUIRE(slots.size() == 2);
  CHECK(slots[0].key.node_id == "n1");
  CHECK(slots[1].key.node_id == "n2");
  CHECK(slots[0].dirty());
}

TEST_CASE("update plan: failures are ends nobody asked for", "[unit]") {
  auto s = make_service("s1", 1);
  for (auto st : {pb::FAILED, pb::REJECTED, pb::COMPLETE})
    CHECK(is_failure(make_task(s, 1, "n1", st)));
  CHECK(is_failure(make_task(s, 1, "n1", pb::SHUTDOWN)));
  CHECK_FALSE(is_failure(make_task(s, 1, "n1", pb::SHUTDOWN, pb::SHUTDOWN)));
  CHECK(is_failure(make_task(s, 1, "n1", pb::FAILED, pb::SHUTDOWN)));
  CHECK_FALSE(is_failure(make_task(s, 1, "n1", pb::ORPHANED)));
}

TEST_CASE("update plan: the failure ratio must be exceeded, as SwarmKit "
          "compares it",
          "[unit]") {
  CHECK(ratio_exceeded(1, 10, 0));
  CHECK_FALSE(ratio_exceeded(0, 10, 0));
  CHECK_FALSE(ratio_exceeded(1, 4, 0.25f));
  CHECK(ratio_exceeded(2, 4, 0.25f));
  CHECK(ratio_exceeded(1, 4, 0.2f));
  CHECK_FALSE(ratio_exceeded(3, 3, 1));
  CHECK_FALSE(ratio_exceeded(1, 0, 0));
}

TEST_CASE_METHOD(plan_fixture,
                 "update plan: a stop-first update waits only for tasks a "
                 "live node may still run",
                 "[unit]") {
  auto s = make_service("s1", 1);
  CHECK(must_wait_for(make_task(s, 1, "n1", pb::RUNNING, pb::SHUTDOWN), ctx));
  CHECK(must_wait_for(make_task(s, 1, "n1", pb::ASSIGNED, pb::SHUTDOWN), ctx));
  CHECK_FALSE(must_wait_for(make_task(s, 1, "", pb::PENDING, pb::SHUTDOWN),
                            ctx));
  CHECK_FALSE(must_wait_for(make_task(s, 1, "n1", pb::SHUTDOWN, pb::SHUTDOWN),
                            ctx));
  CHECK_FALSE(must_wait_for(make_task(s, 1, "gone", pb::RUNNING, pb::SHUTDOWN),
                            ctx));
  nodes["n1"].mutable_status()->set_state(pb::NodeStatus::DOWN);
  CHECK_FALSE(must_wait_for(make_task(s, 1, "n1", pb::RUNNING, pb::SHUTDOWN),
                            ctx));
}

TEST_CASE("update policy: unset configs take docker's defaults, the rollback "
          "config applies while rolling back",
          "[unit]") {
  auto d = policy_of(nullptr);
  CHECK(d.parallelism == 1);
  CHECK(d.delay_ns == 0);
  CHECK(d.monitor_ns == 5'000'000'000);
  CHECK(d.max_failure_ratio == 0);
  CHECK(d.failure_action == pb::UpdateConfig::PAUSE);
  CHECK(d.order == pb::UpdateConfig::STOP_FIRST);
  auto s = make_service("s1", 1);
  s.mutable_spec()->mutable_update()->set_parallelism(4);
  s.mutable_spec()->mutable_rollback()->set_parallelism(7);
  CHECK(policy_of(s).parallelism == 4);
  CHECK(policy_of(s).monitor_ns == 0); // set config: values as given
  s.mutable_update_status()->set_state(pb::UpdateStatus::ROLLBACK_STARTED);
  CHECK(policy_of(s).parallelism == 7);
  s.mutable_spec()->clear_rollback();
  CHECK(policy_of(s).parallelism == 1);
}

TEST_CASE("update policy: negative delay or monitor and a ratio outside 0..1 "
          "are refused with SwarmKit's texts",
          "[unit]") {
  pb::ServiceSpec s;
  CHECK(validate_update_configs(s));
  auto bad = [](pb::ServiceSpec x) {
    auto r = validate_update_configs(x);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_spec);
    return r.error().message;
  };
  auto a = s;
  a.mutable_update()->set_delay_ns(-1);
  CHECK(bad(a)
        == "rpc error: code = InvalidArgument desc = TaskSpec: update-delay "
           "cannot be negative");
  auto b = s;
  b.mutable_update()->set_monitor_ns(-1);
  CHECK(bad(b)
        == "rpc error: code = InvalidArgument desc = TaskSpec: "
           "update-monitor cannot be negative");
  auto c = s;
  c.mutable_update()->set_max_failure_ratio(1.5f);
  CHECK(bad(c)
        == "rpc error: code = InvalidArgument desc = TaskSpec: "
           "update-maxfailureratio cannot be less than 0 or bigger than 1");
  auto d = s;
  d.mutable_rollback()->set_max_failure_ratio(-0.1f);
  CHECK(bad(d)
        == "rpc error: code = InvalidArgument desc = TaskSpec: "
           "rollback-maxfailureratio cannot be less than 0 or bigger than 1");
  auto e = s;
  e.mutable_rollback()->set_delay_ns(-5);
  CHECK(bad(e).find("rollback-delay cannot be negative") != std::string::npos);
}
