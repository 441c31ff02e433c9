// Real processes: a task's uid, groups and capability sets as the kernel
// reports them in the task's own /proc/self/status (written to its log).
// Through the gate program and through the fork() fallback alike. Needs
// root (the suite runs as root on the CI machine); elsewhere the cases say
// so and pass (the start failures are checked as any user).

#include <catch2/catch.hpp>

#include "actors/task/privileges.hpp"
#include "actors/task/process_executor.hpp"
#include "task_test_support.hpp"

#include <map>
#include <sstream>
#include <unistd.h>

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;

namespace {

constexpr const char* report_status
  = "grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+):' /proc/self/status; "
    "echo \"HOME=$HOME USER=$USER\"";

// "Key:\tvalue" lines -> key -> value (tabs in values become spaces).
std::map<std::string, std::string> fields(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i < 1000 && std::getline(in, line); ++i) {
    auto colon = line.find(':');
    auto eq = line.find('=');
    if (colon == std::string::npos || (eq != std::string::npos && eq < colon))
      continue;
    auto v = line.substr(colon + 1);
    for (auto& c : v)
      if (c == '\t')
        c = ' ';
    auto lo = v.find_first_not_of(' ');
    auto hi = v.find_last_not_of(' ');
    out[line.substr(0, colon)] = lo == std::string::npos
                                   ? ""
                                   : v.substr(lo, hi - lo + 1);
  }
  return out;
}

uint64_t hex(const std::string& x) {
  return std::stoull(x, nullptr, 16);
}

// This process's own bounding set: a task can get no capability outside it.
uint64_t own_bounding_set() {
  return hex(fields(read_all("/proc/self/status"))["CapBnd"]);
}

process_executor_config make_config(const std::string& dir,
                                    const std::string& gate) {
  process_executor_config cfg;
  cfg.tasks_dir = dir + "/tasks";
  cfg.use_cgroups = false;
  cfg.gate_path = gate;
  return cfg;
}

// An executor spawning through the gate program ("") or, with a gate path
// that does not exist, through fork().
struct runtime {
  std::string gate;
  temp_dir dir;
  process_watcher watcher{20};
  process_executor exec{make_config(dir.path, gate), watcher};

  explicit runtime(std::string gate_path) : gate(std::move(gate_path)) {
    // nop
  }

  // Runs a task that reports its status; the task's log as fields.
  std::map<std::string, std::string> run(const std::string& id,
                                         const std::string& user,
                                         std::vector<std::string> cap_add,
                                         std::vector<std::string> cap_drop) {
    auto t = make_task(id, {"/bin/sh", "-c", report_status});
    auto& c = *t.mutable_spec()->mutable_container();
    c.set_user(user);
    for (auto& x : cap_add)
      c.add_capability_add(x);
    for (auto& x : cap_drop)
      c.add_capability_drop(x);
    exit_waiter w;
    REQUIRE(exec.prepare(t).ok());
    auto proc = exec.start(t);
    REQUIRE(proc.ok());
    REQUIRE(exec.wait(proc->handle, true, w.callback()));
    REQUIRE(exec.release(*proc).ok());
    REQUIRE(w.wait());
    auto log = read_all(exec.logs().log_path(id));
    INFO(log);
    CHECK(w.info->exit_code == 0);
    auto out = fields(log);
    out["log"] = log;
    return out;
  }
};

} // namespace

TEST_CASE("process privileges: a root task gets docker's default "
          "capabilities, not all of root's",
          "[unit]") {
  runtime rt{GENERATE(std::string(""), std::string("/no/gate"))};
  INFO("gate=" << rt.gate);
  auto want = default_capabilities_mask & own_bounding_set();
  if (::geteuid() != 0) {
    WARN("not root: the daemon has no capability to give, skipped");
    return;
  }
  auto f = rt.run("p1", "", {}, {});
  CHECK(f["Uid"] == "0 0 0 0");
  CHECK(hex(f["CapBnd"]) == want);
  CHECK(hex(f["CapEff"]) == want);
  CHECK(hex(f["CapPrm"]) == want);
  CHECK(hex(f["CapInh"]) == 0);
  CHECK(hex(f["CapAmb"]) == 0);
}

TEST_CASE("process privileges: --cap-add and --cap-drop reach the "
          "task, --cap-drop ALL leaves it none",
          "[unit]") {
  runtime rt{GENERATE(std::string(""), std::string("/no/gate"))};
  INFO("gate=" << rt.gate);
  if (::geteuid() != 0) {
    WARN("not root: the daemon has no capability to give, skipped");
    return;
  }
  auto own = own_bounding_set();
  auto added = rt.run("p2", "", {"NET_ADMIN"}, {"CHOWN", "KILL"});
  auto want = (default_capabilities_mask | (uint64_t{1} << 12))
              & ~uint64_t{0x21} & own;
  CHECK(hex(added["CapBnd"]) == want);
  auto none = rt.run("p3", "", {}, {"ALL"});
  CHECK(hex(none["CapEff"]) == 0);
  CHECK(hex(none["CapPrm"]) == 0);
  CHECK(hex(none["CapBnd"]) == 0);
  CHECK(hex(added["CapEff"]) == want);
}

TEST_CASE("process privileges: --user 65534 runs the task as that "
          "user, with no effective capability",
          "[unit]") {
  runtime rt{GENERATE(std::string(""), std::string("/no/gate"))};
  INFO("gate=" << rt.gate);
  if (::geteuid() != 0) {
    WARN("not root: cannot switch users, skipped");
    return;
  }
  auto f = rt.run("p4", "65534", {}, {});
  CHECK(f["Uid"] == "65534 65534 65534 65534");
  // nobody's primary group on Debian is nogroup (65534).
  CHECK(f["Gid"] == "65534 65534 65534 65534");
  CHECK(f["Groups"] == "65534");
  CHECK(f["log"].find("HOME=/nonexistent USER=nobody") != std::string::npos);
  CHECK(hex(f["CapEff"]) == 0);
  CHECK(hex(f["CapPrm"]) == 0);
  CHECK(hex(f["CapAmb"]) == 0);
  CHECK(hex(f["CapBnd"]) == (default_capabilities_mask & own_bounding_set()));
  auto none = rt.run("p5", "nobody:0", {}, {"ALL"});
  CHECK(none["Uid"] == "65534 65534 65534 65534");
  CHECK(none["Gid"] == "0 0 0 0");
  CHECK(none["Groups"] == "");
  CHECK(hex(none["CapEff"]) == 0);
  CHECK(hex(none["CapBnd"]) == 0);
  // A uid without a passwd entry: gid 0 and HOME=/ as in Docker.
  auto anon = rt.run("p6", "4242", {}, {});
  CHECK(anon["Uid"] == "4242 4242 4242 4242");
  CHECK(anon["Gid"] == "0 0 0 0");
  CHECK(anon["log"].find("HOME=/ USER=\n") != std::string::npos);
}

TEST_CASE("process privileges: a user or group this node does not "
          "have fails the start with runc's words",
          "[unit]") {
  runtime rt{""};
  auto& exec = rt.exec;
  auto t = make_task("p7", {"/bin/true"});
  t.mutable_spec()->mutable_container()->set_user("no-such-user-xyz");
  REQUIRE(exec.prepare(t).ok());
  auto proc = exec.start(t);
  REQUIRE_FALSE(proc.ok());
  CHECK(proc.error().message
        == "task: unable to find user no-such-user-xyz: no matching entries "
           "in passwd file");
  t.mutable_spec()->mutable_container()->set_user("0:no-such-group-xyz");
  proc = exec.start(t);
  REQUIRE_FALSE(proc.ok());
  CHECK(proc.error().message
        == "task: unable to find group no-such-group-xyz: no matching "
           "entries in group file");
  t.mutable_spec()->mutable_container()->set_user("");
  t.mutable_spec()->mutable_container()->add_capability_add("CAP_BOGUS");
  proc = exec.start(t);
  REQUIRE_FALSE(proc.ok());
  CHECK(proc.error().message == "task: unknown capability: \"CAP_BOGUS\"");
}
