#include <catch2/catch.hpp>

#include "actors/task/process_executor.hpp"
#include "task_test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;

TEST_CASE("cpu quota over a 100 ms period", "[unit]") {
  CHECK(cpu_quota_us(0) == 0);
  CHECK(cpu_quota_us(1000000000) == 100000);
  CHECK(cpu_quota_us(500000000) == 50000);
  CHECK(cpu_quota_us(1) == 1000); // the kernel's minimum
}

TEST_CASE("no cgroup mount: tasks run, with one warning", "[unit]") {
  temp_dir dir;
  process_watcher watcher{20};
  process_executor_config cfg;
  cfg.tasks_dir = dir.path + "/tasks";
  cfg.cgroups.mount = dir.path + "/no-cgroups";
  process_executor exec{cfg, watcher};
  CHECK(exec.cgroup_control().version() == cgroup_version::none);
  auto t = make_task("w1", {"/bin/true"});
  t.mutable_spec()->mutable_resources()->mutable_limits()->set_memory_bytes(
    64 << 20);
  auto first = exec.prepare(t);
  REQUIRE(first.ok());
  CHECK_FALSE(first->empty());
  auto second = exec.prepare(t);
  REQUIRE(second.ok());
  CHECK(second->empty()); // once per executor
}

TEST_CASE("limits are written to the task's cgroup and the process joins it",
          "[unit]") {
  temp_dir dir;
  process_watcher watcher{20};
  process_executor_config cfg;
  cfg.tasks_dir = dir.path + "/tasks";
  cfg.cgroups.root = "actorswarm-test-" + std::to_string(::getpid());
  process_executor exec{cfg, watcher};
  auto& cg = exec.cgroup_control();
  auto t = make_task("c1", {"/bin/sh", "-c", "cat /proc/self/cgroup"});
  auto* limits = t.mutable_spec()->mutable_resources()->mutable_limits();
  limits->set_memory_bytes(64 << 20);
  limits->set_nano_cpus(500000000);
  auto prep = exec.prepare(t);
  REQUIRE(prep.ok());
  if (cg.version() == cgroup_version::none || !prep->empty()) {
    WARN("cgroups not usable here: " << *prep);
    cg.remove("c1");
    cg.remove_root();
    return;
  }
  auto dirs = cg.task_dirs("c1");
  REQUIRE_FALSE(dirs.empty());
  if (cg.version() == cgroup_version::v2) {
    CHECK(read_all(dirs[0] + "/memory.max") == "67108864\n");
    CHECK(read_all(dirs[0] + "/cpu.max") == "50000 100000\n");
  } else {
    for (auto& d : dirs) {
      if (d.find("/memory/") != std::string::npos)
        CHECK(read_all(d + "/memory.limit_in_bytes") == "67108864\n");
      else
        CHECK(read_all(d + "/cpu.cfs_quota_us") == "50000\n");
    }
  }
  exit_waiter w;
  auto proc = exec.start(t);
  REQUIRE(proc.ok());
  REQUIRE(exec.wait(proc->handle, true, w.callback()));
  REQUIRE(exec.release(*proc).ok());
  REQUIRE(w.wait());
  CHECK(w.info->exit_code == 0);
  auto out = read_all(exec.logs().log_path("c1"));
  CHECK(out.find(cfg.cgroups.root + "/c1") != std::string::npos);
  REQUIRE(exec.remove("c1", true).ok());
  for (auto& d : dirs)
    CHECK_FALSE(std::filesystem::exists(d));
  CHECK(cg.remove_root());
}
