// The public header first: it must compile alone.
#include "actorswarm/embed.hpp"

#include <catch2/catch.hpp>

#include "embed/task_events.hpp"
#include "messages/caf_error.hpp"

using namespace actorswarm;

namespace {

using task_ptr = store::object_ptr<pb::Task>;

task_ptr task(const std::string& id, uint64_t slot, pb::TaskState state,
              pb::TaskState desired = pb::RUNNING, std::string err = {}) {
  auto t = std::make_shared<pb::Task>();
  t->set_id(id);
  t->set_service_id("s1");
  t->set_service_name("web");
  t->set_slot(slot);
  t->set_node_id("n1");
  t->mutable_status()->set_state(state);
  t->mutable_status()->set_err(std::move(err));
  t->set_desired_state(desired);
  return t;
}

store::change task_change(pb::StoreAction::Kind kind, task_ptr before,
                          task_ptr after) {
  store::change c;
  c.kind = kind;
  c.task_before = std::move(before);
  c.task_after = std::move(after);
  return c;
}

} // namespace

TEST_CASE("a task event names the task as service ps does") {
  auto ev = embed::make_task_event(*task("t1", 2, pb::RUNNING), false);
  CHECK(ev.task_id == "t1");
  CHECK(ev.service_id == "s1");
  CHECK(ev.name == "web.2");
  CHECK(ev.node_id == "n1");
  CHECK(ev.state == pb::RUNNING);
  CHECK(ev.desired_state == pb::RUNNING);
  CHECK_FALSE(ev.removed);
  auto global = embed::make_task_event(*task("t2", 0, pb::PENDING), false);
  CHECK(global.name == "web.n1");
  CHECK(to_string(ev) == "web.2 t1 running (desired running)");
}

TEST_CASE("task events report creation, state, desired state, error and "
          "removal, nothing else") {
  using K = pb::StoreAction;
  auto created = task("t1", 1, pb::NEW);
  auto running = task("t1", 1, pb::RUNNING);
  auto running_msg = std::make_shared<pb::Task>(*running);
  running_msg->mutable_status()->set_message("started");
  auto stopping = task("t1", 1, pb::RUNNING, pb::SHUTDOWN);
  auto failed = task("t1", 1, pb::FAILED, pb::SHUTDOWN,
                     "task: non-zero exit (1)");
  store::change service_only;
  service_only.service_after = std::make_shared<pb::Service>();
  store::change_set xs;
  xs.changes = {task_change(K::CREATE, nullptr, created),
                task_change(K::UPDATE, created, running),
                task_change(K::UPDATE, running, running_msg),
                service_only,
                task_change(K::UPDATE, running_msg, stopping),
                task_change(K::UPDATE, stopping, failed),
                task_change(K::REMOVE, failed, nullptr)};
  auto evs = embed::task_events(xs);
  REQUIRE(evs.size() == 5);
  CHECK(evs[0].state == pb::NEW);
  CHECK(evs[1].state == pb::RUNNING);
  CHECK(evs[2].desired_state == pb::SHUTDOWN);
  CHECK(evs[3].state == pb::FAILED);
  CHECK(evs[3].error == "task: non-zero exit (1)");
  CHECK(evs[4].removed);
  CHECK(evs[4].state == pb::FAILED);
  CHECK(to_string(evs[4])
        == "web.1 t1 failed (desired shutdown) removed "
           "\"task: non-zero exit (1)\"");
}

TEST_CASE("a new watcher starts with every task, ordered by name") {
  store::object_store view;
  store::change_set xs;
  for (auto& [id, slot] : {std::pair{"c", 2}, {"a", 10}, {"b", 1}})
    xs.changes.push_back(task_change(pb::StoreAction::CREATE, nullptr,
                                     task(id, slot, pb::RUNNING)));
  view.apply_changes(xs);
  auto evs = embed::initial_task_events(view);
  REQUIRE(evs.size() == 3);
  CHECK(evs[0].name == "web.1");
  CHECK(evs[1].name == "web.10");
  CHECK(evs[2].name == "web.2");
}

TEST_CASE("request builders fill the control requests the CLI sends") {
  auto spec = host_service("web", 2, {"sleep", "30"});
  CHECK(spec.name() == "web");
  CHECK(spec.replicas() == 2);
  CHECK(spec.task().container().image() == "host");
  REQUIRE(spec.task().container().command_size() == 2);
  CHECK(spec.task().container().command(1) == "30");
  CHECK(service_create_request(spec).service_create().spec().name() == "web");
  CHECK(service_remove_request("web").service_remove().refs(0) == "web");
  CHECK(service_scale_request("web", 5).service_scale().replicas() == 5);
  CHECK(swarm_init_request("127.0.0.1:4000").swarm_init().listen_addr()
        == "127.0.0.1:4000");
}

TEST_CASE("reply_error turns a refused reply into an actorswarm error") {
  pb::ControlReply ok;
  CHECK_FALSE(reply_error(ok));
  pb::ControlReply refused;
  refused.set_code(static_cast<uint32_t>(errc::not_found));
  refused.set_error("no such service: web");
  auto err = reply_error(refused);
  REQUIRE(err);
  auto f = to_failure(err);
  CHECK(f.code == errc::not_found);
  CHECK(f.message == "no such service: web");
}
