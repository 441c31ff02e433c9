#include "actors/dispatcher/assignments.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace actorswarm;
using namespace actorswarm::dispatcher;

namespace {

const std::vector<pb::TaskState> all_states
  = {pb::NEW,    pb::PENDING,  pb::ASSIGNED, pb::ACCEPTED, pb::PREPARING,
     pb::READY,  pb::STARTING, pb::RUNNING,  pb::COMPLETE, pb::SHUTDOWN,
     pb::FAILED, pb::REJECTED, pb::REMOVE,   pb::ORPHANED};

pb::Task task(const std::string& id, const std::string& node,
              pb::TaskState state) {
  pb::Task t;
  t.set_id(id);
  t.set_service_id("svc");
  t.set_node_id(node);
  t.set_desired_state(pb::RUNNING);
  t.mutable_status()->set_state(state);
  return t;
}

store::object_ptr<pb::Task> ptr(pb::Task t) {
  return std::make_shared<const pb::Task>(std::move(t));
}

store::change created(pb::Task t) {
  store::change c;
  c.kind = pb::StoreAction::CREATE;
  c.task_after = ptr(std::move(t));
  return c;
}

store::change updated(pb::Task before, pb::Task after) {
  store::change c;
  c.kind = pb::StoreAction::UPDATE;
  c.task_before = ptr(std::move(before));
  c.task_after = ptr(std::move(after));
  return c;
}

store::change removed(pb::Task t) {
  store::change c;
  c.kind = pb::StoreAction::REMOVE;
  c.task_before = ptr(std::move(t));
  return c;
}

store::object_store view_of(const std::vector<pb::Task>& ts) {
  store::change_set cs;
  cs.index = 1;
  for (auto& t : ts)
    cs.changes.push_back(created(t));
  store::object_store view;
  view.apply_changes(cs);
  return view;
}

std::vector<std::string> update_ids(const pb::Assignments& as) {
  std::vector<std::string> out;
  for (auto& t : as.update())
    out.push_back(t.id());
  return out;
}

std::vector<std::string> remove_ids(const pb::Assignments& as) {
  return {as.remove().begin(), as.remove().end()};
}

pb::TaskStatusUpdate report(const std::string& id, pb::TaskState state,
                            const std::string& message = {}) {
  pb::TaskStatusUpdate u;
  u.set_task_id(id);
  u.mutable_status()->set_state(state);
  u.mutable_status()->set_message(message);
  return u;
}

} // namespace

TEST_CASE("a task is assigned from ASSIGNED to RUNNING, on a node", "[unit]") {
  for (auto s : all_states) {
    INFO(pb::TaskState_Name(s));
    bool live = s >= pb::ASSIGNED && s <= pb::RUNNING;
    CHECK(is_assigned(task("t", "n1", s)) == live);
    // Without a node nobody runs it, whatever its state.
    CHECK_FALSE(is_assigned(task("t", "", s)));
  }
}

TEST_CASE("a full set holds exactly the node's assigned tasks", "[unit]") {
  auto view
    = view_of({task("a", "n1", pb::ASSIGNED), task("b", "n1", pb::RUNNING),
               task("c", "n1", pb::STARTING), task("d", "n2", pb::RUNNING),
               task("e", "", pb::PENDING), task("f", "n1", pb::PENDING),
               task("g", "n1", pb::FAILED), task("h", "n1", pb::COMPLETE),
               task("i", "n1", pb::ORPHANED)});
  auto as = full_assignments(view, "n1");
  CHECK(as.full());
  auto ids = update_ids(as);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"a", "b", "c"});
  CHECK(as.remove().empty());
  // The caller names the session.
  CHECK(as.session_id().empty());
  // The tasks go as stored (the agent needs spec and desired state).
  for (auto& t : as.update())
    CHECK(t.DebugString() == view.tasks().at(t.id())->DebugString());
}

TEST_CASE("a node without tasks still gets a full set: an empty one",
          "[unit]") {
  // An empty full set is what tells a restarted agent to stop everything
  // it still runs.
  auto view = view_of({task("a", "n1", pb::RUNNING)});
  for (auto* node : {"n2", ""}) {
    INFO(node);
    auto as = full_assignments(view, node);
    CHECK(as.full());
    CHECK(as.update().empty());
    CHECK(as.remove().empty());
  }
  auto empty = full_assignments(store::object_store{}, "n1");
  CHECK(empty.full());
  CHECK(empty.update().empty());
}

TEST_CASE("a commit's task changes become per-node increments", "[unit]") {
  store::change_set cs;
  cs.index = 9;
  // Placed: the node learns the task.
  cs.changes.push_back(updated(task("a", "", pb::PENDING),
                               task("a", "n1", pb::ASSIGNED)));
  // Moving forward while live: sent again (desired state, status).
  cs.changes.push_back(updated(task("b", "n1", pb::ASSIGNED),
                               task("b", "n1", pb::RUNNING)));
  // Ended: the node forgets it.
  cs.changes.push_back(updated(task("c", "n2", pb::RUNNING),
                               task("c", "n2", pb::FAILED)));
  // Removed from the store: the node forgets it.
  cs.changes.push_back(removed(task("d", "n2", pb::COMPLETE)));
  // Created already placed.
  cs.changes.push_back(created(task("e", "n2", pb::ASSIGNED)));
  auto out = changed_assignments(cs);
  REQUIRE(out.size() == 2);
  CHECK(update_ids(out.at("n1")) == std::vector<std::string>{"a", "b"});
  CHECK(out.at("n1").remove().empty());
  CHECK(update_ids(out.at("n2")) == std::vector<std::string>{"e"});
  CHECK(remove_ids(out.at("n2")) == std::vector<std::string>{"c", "d"});
  // Increments, never full sets; the caller names the session.
  for (auto& [node, as] : out) {
    CHECK_FALSE(as.full());
    CHECK(as.session_id().empty());
  }
}

TEST_CASE("changes that concern no node's agent yield nothing", "[unit]") {
  store::change_set cs;
  // Created or updated without a node: not placed yet.
  cs.changes.push_back(created(task("a", "", pb::NEW)));
  cs.changes.push_back(updated(task("a", "", pb::NEW),
                               task("a", "", pb::PENDING)));
  // Removed before it was ever placed.
  cs.changes.push_back(removed(task("b", "", pb::PENDING)));
  // On a node, but not yet ASSIGNED (the scheduler sets both at once).
  cs.changes.push_back(created(task("c", "n1", pb::PENDING)));
  // Node and service changes are not assignments.
  store::change node_change;
  node_change.kind = pb::StoreAction::UPDATE;
  node_change.node_after = std::make_shared<const pb::Node>();
  cs.changes.push_back(node_change);
  store::change service_change;
  service_change.kind = pb::StoreAction::CREATE;
  service_change.service_after = std::make_shared<const pb::Service>();
  cs.changes.push_back(service_change);
  CHECK(changed_assignments(cs).empty());
  CHECK(changed_assignments(store::change_set{}).empty());
}

TEST_CASE("every terminal state removes the task from its node", "[unit]") {
  for (auto s : all_states) {
    if (s <= pb::RUNNING)
      continue;
    INFO(pb::TaskState_Name(s));
    store::change_set cs;
    cs.changes.push_back(updated(task("a", "n1", pb::RUNNING),
                                 task("a", "n1", s)));
    auto out = changed_assignments(cs);
    REQUIRE(out.count("n1") == 1);
    CHECK(out.at("n1").update().empty());
    CHECK(remove_ids(out.at("n1")) == std::vector<std::string>{"a"});
  }
}

TEST_CASE("status reports reach the store only when they move a known task "
          "forward",
          "[unit]") {
  auto view = view_of({task("a", "n1", pb::ASSIGNED),
                       task("b", "n1", pb::RUNNING),
                       task("c", "n1", pb::FAILED)});
  auto xs = status_actions(
    view, {report("a", pb::PREPARING, "preparing"),
           report("a", pb::READY, "prepared"), // each against the view
           report("b", pb::RUNNING),           // a repeat: no move
           report("b", pb::STARTING),          // backwards: refused
           report("c", pb::RUNNING),           // no revival
           report("zz", pb::RUNNING),          // unknown task
           report("b", static_cast<pb::TaskState>(999)), // not a state
           report("b", pb::COMPLETE, "finished")});
  REQUIRE(xs.size() == 3);
  std::vector<std::pair<std::string, pb::TaskState>> got;
  for (auto& x : xs) {
    CHECK(x.kind() == pb::StoreAction::UPDATE);
    CHECK(x.status_only());
    REQUIRE(x.has_task());
    got.emplace_back(x.task().id(), x.task().status().state());
  }
  CHECK(got
        == std::vector<std::pair<std::string, pb::TaskState>>{
          {"a", pb::PREPARING}, {"a", pb::READY}, {"b", pb::COMPLETE}});
  // The reported status goes as reported, message included.
  CHECK(xs[2].task().status().message() == "finished");
  // Only id and status: a status-only update touches nothing else.
  CHECK(xs[0].task().node_id().empty());
  CHECK(xs[0].task().service_id().empty());
  CHECK(status_actions(view, {}).empty());
  CHECK(
    status_actions(store::object_store{}, {report("a", pb::RUNNING)}).empty());
}

TEST_CASE("a node status action changes state and message, keeps the rest",
          "[unit]") {
  pb::Node n;
  n.set_id("n1");
  n.mutable_description()->set_hostname("host-1");
  n.mutable_spec()->set_availability(pb::NodeSpec::DRAIN);
  n.mutable_status()->set_state(pb::NodeStatus::READY);
  n.mutable_status()->set_addr("10.0.0.1:2377");
  auto a = node_status_action(n, pb::NodeStatus::DOWN, "heartbeat failure");
  CHECK(a.kind() == pb::StoreAction::UPDATE);
  CHECK(a.status_only());
  REQUIRE(a.has_node());
  CHECK(a.node().id() == "n1");
  CHECK(a.node().description().hostname() == "host-1");
  CHECK(a.node().status().state() == pb::NodeStatus::DOWN);
  CHECK(a.node().status().message() == "heartbeat failure");
  CHECK(a.node().status().addr() == "10.0.0.1:2377");
  // Status only: the spec is not part of the update.
  CHECK_FALSE(a.node().has_spec());
  // Back to READY clears the message.
  n.mutable_status()->set_message("heartbeat failure");
  auto up = node_status_action(n, pb::NodeStatus::READY, "");
  CHECK(up.node().status().state() == pb::NodeStatus::READY);
  CHECK(up.node().status().message().empty());
}

TEST_CASE("a node's session moved when its stored status names another "
          "session, none stored counts as ours",
          "[unit]") {
  pb::Node n;
  n.set_id("n1");
  CHECK_FALSE(session_moved(n, "s1")); // stored before sessions were kept
  n.mutable_status()->set_session_id("s1");
  CHECK_FALSE(session_moved(n, "s1"));
  CHECK(session_moved(n, "s0")); // another dispatcher serves s1 now
  auto a = node_status_action(n, pb::NodeStatus::DOWN, "heartbeat failure");
  CHECK(a.node().status().session_id() == "s1"); // kept by status actions
}

TEST_CASE("assignments: a node's status reports count only for tasks "
          "assigned to it",
          "[unit]") {
  auto view = view_of({task("a", "n1", pb::RUNNING),
                       task("b", "n2", pb::RUNNING)});
  pb::StatusBatch b;
  b.set_node_id("n1");
  *b.add_updates() = report("a", pb::FAILED);
  *b.add_updates() = report("b", pb::FAILED);       // n2's task
  *b.add_updates() = report("missing", pb::FAILED); // not in the store
  auto own = own_updates(view, b);
  REQUIRE(own.size() == 1);
  CHECK(own[0].task_id() == "a");
  b.set_node_id("n3");
  CHECK(own_updates(view, b).empty());
}

TEST_CASE("a task the store deletes is named in deleted, so the agent removes "
          "its logs, and an ended task is not",
          "[unit]") {
  store::change_set cs;
  cs.changes.push_back(updated(task("ended", "n1", pb::RUNNING),
                               task("ended", "n1", pb::FAILED)));
  cs.changes.push_back(removed(task("reaped", "n1", pb::COMPLETE)));
  auto out = changed_assignments(cs);
  REQUIRE(out.count("n1") == 1);
  CHECK(remove_ids(out.at("n1"))
        == std::vector<std::string>{"ended", "reaped"});
  CHECK(std::vector<std::string>(out.at("n1").deleted().begin(),
                                 out.at("n1").deleted().end())
        == std::vector<std::string>{"reaped"});
}

TEST_CASE("a full set keeps the node's finished tasks in kept, so their logs "
          "stay",
          "[unit]") {
  auto view
    = view_of({task("a", "n1", pb::RUNNING), task("g", "n1", pb::FAILED),
               task("h", "n1", pb::COMPLETE), task("d", "n2", pb::FAILED)});
  auto as = full_assignments(view, "n1");
  std::vector<std::string> kept(as.kept().begin(), as.kept().end());
  std::sort(kept.begin(), kept.end());
  CHECK(kept == std::vector<std::string>{"g", "h"});
  CHECK(update_ids(as) == std::vector<std::string>{"a"});
  CHECK(as.deleted().empty());
}

TEST_CASE("a RUNNING task's new health reaches the store, a repeat does not",
          "[unit]") {
  auto view = view_of({task("b", "n1", pb::RUNNING)});
  auto healthy = report("b", pb::RUNNING);
  healthy.mutable_status()->set_health(pb::TaskStatus::HEALTHY);
  auto xs = status_actions(view, {healthy, report("b", pb::RUNNING)});
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].task().status().health() == pb::TaskStatus::HEALTHY);
  CHECK(xs[0].task().status().state() == pb::RUNNING);
  // Against a task that is not RUNNING (yet or any more) health alone
  // moves nothing.
  auto done = view_of({task("c", "n1", pb::FAILED)});
  auto late = report("c", pb::RUNNING);
  late.mutable_status()->set_health(pb::TaskStatus::UNHEALTHY);
  CHECK(status_actions(done, {late}).empty());
}
