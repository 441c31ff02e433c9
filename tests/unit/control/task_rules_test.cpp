#include "actors/control/task_rules.hpp"

#include <catch2/catch.hpp>

#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_node;
using actorswarm::test::make_spec;
using actorswarm::test::make_task;
using actorswarm::test::refusal;
using actorswarm::test::view_builder;

namespace {

std::vector<std::string> ids(const pb::ControlReply& r) {
  std::vector<std::string> out;
  for (auto& t : r.tasks())
    out.push_back(t.id());
  return out;
}

// web (s1): t1 slot 1 on n1, t2 slot 2 on n2 (shut down), t0 an older
// slot-1 task on n1; api (s2): t3 slot 1 on n2. Nodes n1 (host-a), n2
// (host-b).
view_builder two_services() {
  view_builder b;
  auto a = make_node("n1");
  a.mutable_description()->set_hostname("host-a");
  auto c = make_node("n2");
  c.mutable_description()->set_hostname("host-b");
  b.add(a).add(c);
  auto web = test::make_service("s1", make_spec("web", 2));
  auto api = test::make_service("s2", make_spec("api", 1));
  b.add(web).add(api);
  auto old = make_task("t0", web, 1, "n1", pb::FAILED);
  old.set_desired_state(pb::SHUTDOWN);
  b.add(old);
  b.add(make_task("t1", web, 1, "n1", pb::RUNNING));
  auto down = make_task("t2", web, 2, "n2", pb::RUNNING);
  down.set_desired_state(pb::SHUTDOWN);
  b.add(down);
  b.add(make_task("t3", api, 1, "n2", pb::RUNNING));
  return b;
}

} // namespace

TEST_CASE("control rules: task names as docker shows them", "[unit]") {
  auto web = test::make_service("s1", make_spec("web", 2));
  CHECK(task_name(make_task("t1", web, 3, "n1", pb::RUNNING)) == "web.3");
  CHECK(task_name(make_task("t2", web, 0, "n1", pb::RUNNING)) == "web.n1");
}

TEST_CASE("control rules: a task counts as running while running and "
          "desired to run",
          "[unit]") {
  auto web = test::make_service("s1", make_spec("web", 1));
  struct run_case {
    pb::TaskState state;
    pb::TaskState desired;
    bool counts;
  };
  std::vector<run_case> cases = {
    {pb::RUNNING, pb::RUNNING, true},   {pb::RUNNING, pb::READY, true},
    {pb::RUNNING, pb::SHUTDOWN, false}, {pb::STARTING, pb::RUNNING, false},
    {pb::COMPLETE, pb::RUNNING, false},
  };
  for (auto& c : cases) {
    INFO(pb::TaskState_Name(c.state)
         << " desired " << pb::TaskState_Name(c.desired));
    auto t = make_task("t", web, 1, "n1", c.state);
    t.set_desired_state(c.desired);
    CHECK(counts_running(t) == c.counts);
  }
}

TEST_CASE("control rules: task references resolve by id and name", "[unit]") {
  auto b = two_services();
  CHECK((*find_task(b.view(), "t3"))->id() == "t3");
  CHECK((*find_task(b.view(), "api.1"))->id() == "t3");
  CHECK(refusal(find_task(b.view(), "db.1")).message == "No such task: db.1");
}

TEST_CASE("control rules: service ps lists, filters and orders tasks",
          "[unit]") {
  auto b = two_services();
  SECTION("all tasks, by service, slot and newest first; node names filled") {
    pb::TaskListRequest req;
    auto r = list_tasks(b.view(), req);
    REQUIRE(r);
    // t1 was created after t0: the newer task of slot 1 comes first.
    CHECK(ids(*r) == std::vector<std::string>{"t3", "t1", "t0", "t2"});
    CHECK(r->node_names().at("n1") == "host-a");
    CHECK(r->node_names().at("n2") == "host-b");
  }
  SECTION("one service, one node, one desired state") {
    pb::TaskListRequest req;
    req.add_service_refs("web");
    req.set_node_ref("host-a");
    req.add_desired_states(pb::RUNNING);
    auto r = list_tasks(b.view(), req);
    REQUIRE(r);
    CHECK(ids(*r) == std::vector<std::string>{"t1"});
  }
  SECTION("several desired states") {
    pb::TaskListRequest req;
    req.add_service_refs("web");
    req.add_desired_states(pb::RUNNING);
    req.add_desired_states(pb::SHUTDOWN);
    CHECK(ids(*list_tasks(b.view(), req)).size() == 3);
  }
  SECTION("an unknown service or node") {
    pb::TaskListRequest req;
    req.add_service_refs("db");
    CHECK(refusal(list_tasks(b.view(), req)).message == "No such service: db");
    pb::TaskListRequest on;
    on.set_node_ref("host-z");
    CHECK(refusal(list_tasks(b.view(), on)).message == "No such node: host-z");
  }
}

TEST_CASE("control rules: service logs reads a service's tasks or one task",
          "[unit]") {
  auto b = two_services();
  pb::LogsRequest req;
  req.set_ref("web");
  auto r = logs_tasks(b.view(), req);
  REQUIRE(r);
  CHECK(r->tasks_size() == 3);
  CHECK(r->node_names().at("n1") == "host-a");
  // The tasks' nodes (the log broker's addresses), each once, and the
  // service (its replica count pads the CLI's slots).
  CHECK(r->nodes_size() == 2);
  REQUIRE(r->services_size() == 1);
  CHECK(r->services(0).service().id() == "s1");
  CHECK(r->services(0).desired() == 2);
  req.set_ref("api.1");
  r = logs_tasks(b.view(), req);
  REQUIRE(r);
  CHECK(ids(*r) == std::vector<std::string>{"t3"});
  CHECK(r->node_names().size() == 1);
  CHECK(r->nodes_size() == 1);
  CHECK(r->services_size() == 0);
  req.set_ref("db");
  CHECK(refusal(logs_tasks(b.view(), req)).message == "No such service: db");
}
