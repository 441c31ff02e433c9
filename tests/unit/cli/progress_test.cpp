#include <catch2/catch.hpp>

#include "cli/output/progress.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using namespace actorswarm::cli::output;
using actorswarm::cli::test::fake_daemon;

namespace {

constexpr int64_t ms = 1'000'000;

pb::Task task(const std::string& id, uint64_t slot, pb::TaskState st,
              int64_t created_ns = 0, const std::string& err = "",
              pb::TaskState desired = pb::RUNNING) {
  pb::Task t;
  t.set_id(id);
  t.set_service_name("web");
  t.set_slot(slot);
  t.set_node_id("node" + std::to_string(slot) + "xxxxxxxxxxxxxxxxxxxxx");
  t.mutable_meta()->set_created_at_ns(created_ns);
  t.mutable_status()->set_state(st);
  t.mutable_status()->set_err(err);
  t.set_desired_state(desired);
  return t;
}

} // namespace

TEST_CASE("progress bar and lines look like docker's", "[unit]") {
  CHECK(progress_bar(9)
        == "[==================================================>]");
  CHECK(progress_bar(3) == "[================>" + std::string(34, ' ') + "]");
  progress_line l{"1/3", "running", 9, ""};
  CHECK(
    render_line(l, true)
    == "1/3: running   [==================================================>]");
  CHECK(render_line(l, false) == "1/3: running");
  l.message = "no suitable node (insufficient resources on 1 node)";
  CHECK(render_line(l, true)
        == "1/3: no suitable node (insufficient resources on 1 node)");
}

TEST_CASE("tracker converges when every slot runs", "[unit]") {
  convergence_tracker t{false, 2, 3000 * ms, 3};
  t.observe({task("a", 1, pb::PENDING)}, 0);
  CHECK_FALSE(t.converged());
  CHECK(t.running() == 0);
  CHECK(t.total() == 2);
  CHECK(t.lines()[1].state.empty());
  t.observe({task("a", 1, pb::RUNNING), task("b", 2, pb::STARTING)}, 100 * ms);
  CHECK_FALSE(t.converged());
  CHECK(t.running() == 1);
  // A shut-down task of a removed slot does not count.
  t.observe({task("a", 1, pb::RUNNING), task("b", 2, pb::RUNNING),
             task("c", 3, pb::RUNNING, 0, "", pb::SHUTDOWN)},
            200 * ms);
  CHECK(t.converged());
  CHECK(t.failure().empty());
}

TEST_CASE("tracker gives up on a task pending with an error", "[unit]") {
  convergence_tracker t{false, 1, 3000 * ms, 3};
  auto stuck = task("a", 1, pb::PENDING, 0,
                    "no suitable node (insufficient resources on 1 node)");
  t.observe({stuck}, 0);
  t.observe({stuck}, 2900 * ms);
  CHECK(t.failure().empty());
  t.observe({stuck}, 3000 * ms);
  CHECK(t.failure() == "no suitable node (insufficient resources on 1 node)");
}

TEST_CASE("tracker gives up when a slot keeps failing", "[unit]") {
  convergence_tracker t{false, 1, 3000 * ms, 3};
  auto old = task("old", 1, pb::FAILED, 0, "old failure", pb::SHUTDOWN);
  t.observe({old}, 0);
  std::vector<pb::Task> tasks{old};
  for (int i = 0; i < 3; ++i) {
    CHECK(t.failure().empty());
    tasks.push_back(task("f" + std::to_string(i), 1, pb::FAILED, i + 1,
                         "task: non-zero exit (1)", pb::SHUTDOWN));
    t.observe(tasks, (i + 1) * 100 * ms);
  }
  CHECK(t.failure() == "task failed 3 times: task: non-zero exit (1)");
}

TEST_CASE("global tracker keys lines by node", "[unit]") {
  convergence_tracker t{true, 0, 3000 * ms, 3};
  t.observe({task("a", 0, pb::RUNNING), task("b", 0, pb::RUNNING)}, 0);
  // Both tasks are on distinct nodes only when node ids differ.
  CHECK(t.total() == 1);
  auto b = task("b", 0, pb::ASSIGNED);
  b.set_node_id("otherxxxxxxxxxxxxxxxxxxxx");
  t.observe({task("a", 0, pb::RUNNING), b}, 0);
  CHECK(t.total() == 2);
  CHECK_FALSE(t.converged());
  CHECK(t.lines()[0].label == "node0xxxxxxx");
  b.mutable_status()->set_state(pb::RUNNING);
  t.observe({task("a", 0, pb::RUNNING), b}, 0);
  CHECK(t.converged());
}

TEST_CASE("printer: plain lines on pipes, redraw on a TTY", "[unit]") {
  convergence_tracker t{false, 1, 3000 * ms, 3};
  progress_printer plain{false};
  t.observe({task("a", 1, pb::PENDING)}, 0);
  CHECK(plain.frame(t) == "overall progress: 0 out of 1 tasks\n1/1: pending\n");
  CHECK(plain.frame(t).empty());
  t.observe({task("a", 1, pb::RUNNING)}, 0);
  CHECK(plain.frame(t) == "overall progress: 1 out of 1 tasks\n1/1: running\n");
  progress_printer tty{true};
  auto first = tty.frame(t);
  CHECK(first.find("\x1b[2K1/1: running   [=====") != std::string::npos);
  CHECK(tty.frame(t).rfind("\x1b[2A", 0) == 0);
}

TEST_CASE("service create waits for convergence, polling TaskList", "[unit]") {
  fake_daemon d;
  int polls = 0;
  d.on = [&](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_service_create()) {
      r.add_ids("svcidxxxxxxxxxxxxxxxxxxxx");
      return std::vector<pb::ControlReply>{r};
    }
    ++polls;
    for (uint64_t slot = 1; slot <= 2; ++slot)
      *r.add_tasks() = task("t" + std::to_string(slot), slot,
                            polls < 3 ? pb::PREPARING : pb::RUNNING);
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"service", "create", "--replicas", "2", "host", "sleep", "9"})
          == 0);
  CHECK(polls == 3);
  CHECK(d.slept_ns == 200 * ms);
  CHECK(d.requests.at(1).task_list().service_refs(0)
        == "svcidxxxxxxxxxxxxxxxxxxxx");
  CHECK(
    d.out.str()
    == "svcidxxxxxxxxxxxxxxxxxxxx\n"
       "overall progress: 0 out of 2 tasks\n1/2: preparing\n2/2: preparing\n"
       "overall progress: 2 out of 2 tasks\n1/2: running\n2/2: running\n"
       "verify: Service converged\n");
}

TEST_CASE("service create fails when it cannot converge", "[unit]") {
  fake_daemon d;
  d.on = [&](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_service_create()) {
      r.add_ids("svcidxxxxxxxxxxxxxxxxxxxx");
      return std::vector<pb::ControlReply>{r};
    }
    *r.add_tasks()
      = task("t1", 1, pb::PENDING, 0,
             "no suitable node (insufficient resources on 1 node)");
    return std::vector<pb::ControlReply>{r};
  };
  CHECK(d.run({"service", "create", "--name", "big", "host", "true"}) == 1);
  CHECK(d.err.str()
        == "service svcidxxxxxxxxxxxxxxxxxxxx cannot converge: no suitable "
           "node (insufficient resources on 1 node)\n");
  CHECK(d.slept_ns >= 3000 * ms);
  CHECK(d.slept_ns < 3300 * ms);
}

TEST_CASE("tracker gives up on a failed task its restart policy keeps",
          "[unit]") {
  // Restart condition none (or out of attempts): the failed task stays the
  // slot's current task, desired running; after its restart delay plus the
  // patience period nothing will change, so create must stop waiting.
  convergence_tracker t{false, 1, 3000 * ms, 3};
  auto dead = task("a", 1, pb::FAILED, 0, "task: exec \"/x\": not found");
  dead.mutable_spec()->mutable_restart()->set_delay_ns(1000 * ms);
  t.observe({dead}, 0);
  t.observe({dead}, 3900 * ms);
  CHECK(t.failure().empty());
  t.observe({dead}, 4000 * ms);
  CHECK(t.failure() == "task: exec \"/x\": not found");
}
