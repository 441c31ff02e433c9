// Progress of rolling updates and rollbacks: the pure tracker over scripted
// polls with a fake clock, and `service update` / `service rollback` against
// a scripted daemon.

#include "cli/output/update_progress.hpp"

#include <catch2/catch.hpp>

#include "fake_daemon.hpp"

using namespace actorswarm;
using namespace actorswarm::cli::output;
using actorswarm::cli::test::fake_daemon;

namespace {

constexpr int64_t s_ns = 1'000'000'000;

pb::Service service(uint64_t spec_version, const std::string& image,
                    uint64_t replicas = 2) {
  pb::Service s;
  s.set_id("svcidxxxxxxxxxxxxxxxxxxxx");
  s.mutable_meta()->set_version(40 + spec_version);
  s.set_spec_version(spec_version);
  s.mutable_spec()->set_name("web");
  s.mutable_spec()->set_replicas(replicas);
  s.mutable_spec()->mutable_task()->mutable_container()->set_image(image);
  return s;
}

pb::Service with_status(pb::Service s, pb::UpdateStatus::State state,
                        const std::string& message = "",
                        int64_t started_ns = 7) {
  auto& st = *s.mutable_update_status();
  st.set_state(state);
  st.set_message(message);
  st.set_started_at_ns(started_ns);
  return s;
}

pb::Task task(const std::string& id, uint64_t slot, pb::TaskState state,
              uint64_t spec_version, const std::string& image,
              int64_t created_ns = 0) {
  pb::Task t;
  t.set_id(id);
  t.set_slot(slot);
  t.set_node_id("node1xxxxxxxxxxxxxxxxxxxx");
  t.set_spec_version(spec_version);
  t.mutable_spec()->mutable_container()->set_image(image);
  t.mutable_meta()->set_created_at_ns(created_ns);
  t.mutable_status()->set_state(state);
  t.set_desired_state(pb::RUNNING);
  return t;
}

pb::Task stopped(pb::Task t) {
  t.set_desired_state(pb::SHUTDOWN);
  t.mutable_status()->set_state(pb::SHUTDOWN);
  return t;
}

std::string text_of(const update_tracker& t) {
  std::string out;
  for (const auto& [key, line] : t.rows(false))
    out += line + "\n";
  return out;
}

update_wait_config config(bool rollback = false) {
  update_wait_config cfg;
  cfg.ref = "web";
  cfg.rollback = rollback;
  return cfg;
}

} // namespace

TEST_CASE("update progress counts only tasks of the new spec", "[unit]") {
  update_tracker t{config()};
  auto v2 = with_status(service(2, "host:v2"), pb::UpdateStatus::UPDATING);
  auto a = task("a", 1, pb::RUNNING, 1, "host:v1");
  auto b = task("b", 2, pb::RUNNING, 1, "host:v1");
  t.observe(v2, {a, b}, 0);
  CHECK(t.outcome() == update_outcome::waiting);
  CHECK(text_of(t)
        == "overall progress: 0 out of 2 tasks\n1/2: new\n2/2: new\n");
  auto c = task("c", 1, pb::RUNNING, 2, "host:v2", 1);
  t.observe(v2, {stopped(a), b, c}, s_ns);
  CHECK(text_of(t)
        == "overall progress: 1 out of 2 tasks\n1/2: running\n2/2: new\n");
  auto d = task("d", 2, pb::STARTING, 2, "host:v2", 2);
  t.observe(v2, {stopped(a), stopped(b), c, d}, 2 * s_ns);
  CHECK(text_of(t)
        == "overall progress: 1 out of 2 tasks\n1/2: running\n2/2: starting\n");
  d.mutable_status()->set_state(pb::RUNNING);
  // Converged while the orchestrator still monitors: the verify wait runs
  // (docker's default 5 s), and the wait does not end before it reports.
  t.observe(v2, {stopped(a), stopped(b), c, d}, 3 * s_ns);
  CHECK(t.outcome() == update_outcome::waiting);
  CHECK(t.rows(false).back().second
        == "verify: Waiting 5 seconds to verify that tasks are stable...");
  t.observe(v2, {stopped(a), stopped(b), c, d}, 6 * s_ns + 1);
  CHECK(t.rows(false).back().second
        == "verify: Waiting 2 seconds to verify that tasks are stable...");
  t.observe(v2, {stopped(a), stopped(b), c, d}, 9 * s_ns);
  CHECK(t.outcome() == update_outcome::waiting);
  auto done = with_status(service(2, "host:v2"), pb::UpdateStatus::COMPLETED,
                          "update completed");
  t.observe(done, {stopped(a), stopped(b), c, d}, 9 * s_ns + 1);
  CHECK(t.outcome() == update_outcome::done);
  CHECK(text_of(t)
        == "overall progress: 2 out of 2 tasks\n1/2: running\n2/2: running\n"
           "verify: Service converged\n");
}

TEST_CASE("update progress with monitor 0 ends at convergence", "[unit]") {
  update_tracker t{config()};
  auto v2 = service(2, "host:v2");
  v2.mutable_spec()->mutable_update()->set_monitor_ns(0);
  // No update status at all (a daemon without an update orchestrator).
  t.observe(v2,
            {task("c", 1, pb::RUNNING, 2, "host:v2"),
             task("d", 2, pb::RUNNING, 2, "host:v2")},
            0);
  CHECK(t.outcome() == update_outcome::done);
  CHECK(t.rows(false).back().second == "verify: Service converged");
}

TEST_CASE("update progress waits for health checks to pass", "[unit]") {
  update_tracker t{config()};
  auto v2 = service(2, "host:v2", 1);
  v2.mutable_spec()->mutable_update()->set_monitor_ns(0);
  auto c = task("c", 1, pb::RUNNING, 2, "host:v2");
  c.mutable_status()->set_health(pb::TaskStatus::STARTING);
  t.observe(v2, {c}, 0);
  CHECK(t.outcome() == update_outcome::waiting);
  CHECK(text_of(t) == "overall progress: 0 out of 1 tasks\n1/1: starting\n");
  c.mutable_status()->set_health(pb::TaskStatus::HEALTHY);
  t.observe(v2, {c}, s_ns);
  CHECK(t.outcome() == update_outcome::done);
}

TEST_CASE("update progress: a scale keeps tasks of the same spec, --force "
          "does not",
          "[unit]") {
  auto v2 = service(2, "host:v1", 2);
  v2.mutable_spec()->mutable_update()->set_monitor_ns(0);
  std::vector<pb::Task> tasks{task("a", 1, pb::RUNNING, 1, "host:v1"),
                              task("b", 2, pb::RUNNING, 2, "host:v1")};
  update_tracker scaled{config()};
  scaled.observe(v2, tasks, 0);
  CHECK(scaled.outcome() == update_outcome::done);
  auto cfg = config();
  cfg.force = true;
  update_tracker forced{cfg};
  forced.observe(v2, tasks, 0);
  CHECK(forced.outcome() == update_outcome::waiting);
  CHECK(text_of(forced)
        == "overall progress: 1 out of 2 tasks\n1/2: new\n2/2: running\n");
}

TEST_CASE("global update progress keeps a line for a node not yet updated",
          "[unit]") {
  update_tracker t{config()};
  auto v2 = service(2, "host:v2", 0);
  v2.mutable_spec()->set_mode(pb::ServiceSpec::GLOBAL);
  v2.mutable_spec()->mutable_update()->set_monitor_ns(0);
  auto a = task("a", 0, pb::RUNNING, 1, "host:v1");
  a.set_node_id("nodeaxxxxxxxxxxxxxxxxxxxx");
  auto b = task("b", 0, pb::RUNNING, 2, "host:v2", 1);
  b.set_node_id("nodebxxxxxxxxxxxxxxxxxxxx");
  t.observe(v2, {a, b}, 0);
  CHECK(t.outcome() == update_outcome::waiting);
  CHECK(text_of(t)
        == "overall progress: 1 out of 2 tasks\nnodeaxxxxxxx: new\n"
           "nodebxxxxxxx: running\n");
  auto c = task("c", 0, pb::RUNNING, 2, "host:v2", 2);
  c.set_node_id(a.node_id());
  t.observe(v2, {stopped(a), b, c}, s_ns);
  CHECK(t.outcome() == update_outcome::done);
}

TEST_CASE("update progress ignores the status of an earlier update", "[unit]") {
  auto cfg = config();
  cfg.baseline = with_status(service(1, "host:v1"), pb::UpdateStatus::PAUSED,
                             "earlier")
                   .update_status();
  update_tracker t{cfg};
  auto v2 = with_status(service(2, "host:v2"), pb::UpdateStatus::PAUSED,
                        "earlier");
  t.observe(v2, {task("a", 1, pb::RUNNING, 1, "host:v1")}, 0);
  CHECK(t.outcome() == update_outcome::waiting);
  // The same state with a new start is this update's.
  auto now_paused = with_status(service(2, "host:v2"), pb::UpdateStatus::PAUSED,
                                "update paused due to failure or early "
                                "termination of task c",
                                99);
  t.observe(now_paused, {task("a", 1, pb::RUNNING, 1, "host:v1")}, s_ns);
  CHECK(t.outcome() == update_outcome::failed);
  CHECK(t.error()
        == "service update paused: update paused due to failure or early "
           "termination of task c");
}

TEST_CASE("update progress follows an update that rolls back by itself",
          "[unit]") {
  update_tracker t{config()};
  auto v2 = with_status(service(2, "host:v2"), pb::UpdateStatus::UPDATING);
  auto a = task("a", 1, pb::RUNNING, 1, "host:v1");
  auto c = task("c", 1, pb::FAILED, 2, "host:v2", 1);
  c.mutable_status()->set_err("task: non-zero exit (1)");
  // Failures while the orchestrator is at work are its to judge.
  for (int i = 0; i < 5; ++i)
    t.observe(v2, {a, c}, i * 10 * s_ns);
  CHECK(t.outcome() == update_outcome::waiting);
  auto back = with_status(service(3, "host:v1"),
                          pb::UpdateStatus::ROLLBACK_STARTED,
                          "update rolled back due to failure or early "
                          "termination of task c");
  t.observe(back, {a, c}, 60 * s_ns);
  CHECK(t.rolling_back());
  auto text = text_of(t);
  CHECK(text.find("overall progress: rolling back update: 1 out of 2 tasks\n")
        == 0);
  CHECK(text.find("rollback: update rolled back due to failure or early "
                  "termination of task c\n")
        != std::string::npos);
  auto rolled = with_status(service(3, "host:v1"),
                            pb::UpdateStatus::ROLLBACK_COMPLETED,
                            "rollback completed");
  t.observe(rolled, {a, c}, 61 * s_ns);
  CHECK(t.outcome() == update_outcome::failed);
  CHECK(t.error() == "service rolled back: rollback completed");
}

TEST_CASE("rollback progress ends with docker's verify and rollback lines",
          "[unit]") {
  auto cfg = config(true);
  cfg.baseline = with_status(service(2, "host:v2"), pb::UpdateStatus::PAUSED,
                             "update paused")
                   .update_status();
  update_tracker t{cfg};
  // The daemon restored the previous spec under a new spec_version; the
  // tasks it never replaced run that spec already.
  auto back = with_status(service(3, "host:v1"),
                          pb::UpdateStatus::ROLLBACK_STARTED,
                          "manually requested rollback");
  back.mutable_spec()->mutable_rollback()->set_monitor_ns(s_ns);
  auto a = task("a", 1, pb::RUNNING, 1, "host:v1");
  auto c = task("c", 2, pb::RUNNING, 2, "host:v2");
  t.observe(back, {a, c}, 0);
  CHECK(text_of(t)
        == "overall progress: rolling back update: 1 out of 2 tasks\n"
           "1/2: running\n2/2: new\n"
           "rollback: manually requested rollback\n");
  auto d = task("d", 2, pb::RUNNING, 3, "host:v1", 1);
  auto rolled = back;
  rolled.mutable_update_status()->set_state(
    pb::UpdateStatus::ROLLBACK_COMPLETED);
  rolled.mutable_update_status()->set_message("rollback completed");
  t.observe(rolled, {a, stopped(c), d}, s_ns);
  CHECK(t.outcome() == update_outcome::waiting); // the 1 s verify period
  t.observe(rolled, {a, stopped(c), d}, 2 * s_ns);
  CHECK(t.outcome() == update_outcome::done);
  CHECK(text_of(t)
        == "overall progress: rolling back update: 2 out of 2 tasks\n"
           "1/2: running\n2/2: running\n"
           "rollback: manually requested rollback\n"
           "verify: Service converged\n"
           "rollback: rollback completed\n");
}

TEST_CASE("update progress: a rollback that pauses fails", "[unit]") {
  update_tracker t{config(true)};
  t.observe(with_status(service(3, "host:v1"),
                        pb::UpdateStatus::ROLLBACK_PAUSED,
                        "rollback paused due to failure or early termination "
                        "of task x"),
            {}, 0);
  CHECK(t.outcome() == update_outcome::failed);
  CHECK(t.error()
        == "service rollback paused: rollback paused due to failure or "
           "early termination of task x");
}

TEST_CASE("update progress restarts the verify wait on a task failure",
          "[unit]") {
  update_tracker t{config()};
  auto v2 = service(2, "host:v2", 1);
  auto c = task("c", 1, pb::RUNNING, 2, "host:v2");
  t.observe(v2, {c}, 0);
  CHECK(t.rows(false).back().second
        == "verify: Waiting 5 seconds to verify that tasks are stable...");
  auto failed = c;
  failed.mutable_status()->set_state(pb::FAILED);
  t.observe(v2, {failed}, 2 * s_ns);
  CHECK(t.rows(false).back().second == "verify: Detected task failure");
  auto e = task("e", 1, pb::RUNNING, 2, "host:v2", 5);
  t.observe(v2, {failed, e}, 3 * s_ns);
  CHECK(t.rows(false).back().second
        == "verify: Waiting 5 seconds to verify that tasks are stable...");
  t.observe(v2, {failed, e}, 8 * s_ns);
  CHECK(t.outcome() == update_outcome::done);
}

TEST_CASE("update progress gives up on a stuck task with no update running",
          "[unit]") {
  update_tracker t{config()};
  auto v2 = service(2, "host:v2", 1);
  auto c = task("c", 1, pb::PENDING, 2, "host:v2");
  c.mutable_status()->set_err("no suitable node (1 node not available)");
  t.observe(v2, {c}, 0);
  t.observe(v2, {c}, 3 * s_ns);
  CHECK(t.outcome() == update_outcome::failed);
  CHECK(t.error()
        == "service web cannot converge: no suitable node (1 node not "
           "available)");
}

namespace {

// A daemon whose `web` runs v1 until the update request, then goes through
// `script`: one (status, tasks) step per task list, the last one repeated.
struct scripted_update {
  struct step {
    pb::UpdateStatus::State state;
    std::string message;
    std::vector<pb::Task> tasks;
  };
  pb::Service svc = with_status(service(1, "host:v1", 1),
                                pb::UpdateStatus::COMPLETED, "old", 1);
  std::vector<step> script;
  size_t at = 0;
  bool updated = false;

  void serve(fake_daemon& d) {
    d.on = [this](const pb::ControlRequest& req) {
      pb::ControlReply r;
      if (req.has_service_update()) {
        updated = true;
        svc.set_spec_version(2);
        if (!req.service_update().rollback())
          *svc.mutable_spec() = req.service_update().spec();
      }
      const auto& now = script[std::min(at, script.size() - 1)];
      if (req.has_service_inspect()) {
        auto s = svc;
        if (updated)
          s = with_status(s, now.state, now.message, 100);
        *r.add_services()->mutable_service() = s;
      }
      if (req.has_task_list()) {
        for (const auto& t : now.tasks)
          *r.add_tasks() = t;
        ++at;
      }
      return std::vector<pb::ControlReply>{r};
    };
  }
};

} // namespace

TEST_CASE("service update follows the rolling update to the end", "[unit]") {
  scripted_update u;
  auto old = task("a", 1, pb::RUNNING, 1, "host:v1");
  auto fresh = task("b", 1, pb::RUNNING, 2, "host:v2", 1);
  u.script = {
    {pb::UpdateStatus::UPDATING, "", {old}},
    {pb::UpdateStatus::UPDATING, "", {stopped(old), fresh}},
    {pb::UpdateStatus::COMPLETED, "update completed", {stopped(old), fresh}}};
  fake_daemon d;
  u.serve(d);
  REQUIRE(d.run({"service", "update", "--image", "host:v2", "--update-monitor",
                 "0", "web"})
          == 0);
  CHECK(d.out.str()
        == "web\n"
           "overall progress: 0 out of 1 tasks\n1/1: new\n"
           "overall progress: 1 out of 1 tasks\n1/1: running\n"
           "verify: Service converged\n");
  CHECK(d.err.str().empty());
}

TEST_CASE("service update exits 1 when the update pauses", "[unit]") {
  scripted_update u;
  auto old = task("a", 1, pb::RUNNING, 1, "host:v1");
  u.script = {{pb::UpdateStatus::UPDATING, "", {old}},
              {pb::UpdateStatus::PAUSED,
               "update paused due to failure or early termination of task b",
               {old}}};
  fake_daemon d;
  u.serve(d);
  CHECK(d.run({"service", "update", "-q", "--image", "host:v2", "web"}) == 1);
  CHECK(d.out.str() == "web\n");
  CHECK(d.err.str()
        == "service update paused: update paused due to failure or early "
           "termination of task b\n");
}

TEST_CASE("service rollback follows the rollback", "[unit]") {
  scripted_update u;
  u.svc.mutable_spec()->mutable_rollback()->set_monitor_ns(0);
  auto old = task("a", 1, pb::RUNNING, 1, "host:v1");
  u.script = {
    {pb::UpdateStatus::ROLLBACK_STARTED, "manually requested rollback", {old}},
    {pb::UpdateStatus::ROLLBACK_COMPLETED, "rollback completed", {old}}};
  fake_daemon d;
  u.serve(d);
  REQUIRE(d.run({"service", "rollback", "web"}) == 0);
  CHECK(d.out.str()
        == "web\n"
           "overall progress: rolling back update: 1 out of 1 tasks\n"
           "1/1: running\n"
           "rollback: manually requested rollback\n"
           "verify: Service converged\n"
           "rollback: rollback completed\n");
  CHECK(d.requests[1].service_update().rollback());
}
