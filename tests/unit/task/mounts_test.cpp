// --mount for the process runtime: the node's checks before a task starts
// (nothing created for a refused task), and real task processes in mount
// namespaces of their own (root only) that see bind mounts, read-only binds
// and a named volume that keeps its content across tasks, while the host's
// mount table never changes.

#include "actors/task/mounts.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "actors/task/process_executor.hpp"
#include "actors/task/process_spawn.hpp"
#include "task_test_support.hpp"

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;
namespace fs = std::filesystem;

namespace {

pb::Mount bind_mount(const std::string& source, const std::string& target,
                     bool ro = false) {
  pb::Mount m;
  m.set_type(pb::Mount::BIND);
  m.set_source(source);
  m.set_target(target);
  m.set_read_only(ro);
  return m;
}

pb::Mount volume(const std::string& name, const std::string& target) {
  pb::Mount m;
  m.set_type(pb::Mount::VOLUME);
  m.set_source(name);
  m.set_target(target);
  return m;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// A node layout in a temp dir: <dir>/data (the data dir, tasks and volumes
// in it) and <dir>/host (paths a task mounts from and onto).
struct node_dirs {
  temp_dir dir;
  std::string data = dir.path + "/data";
  std::string host = dir.path + "/host";

  node_dirs() {
    fs::create_directories(data);
    fs::create_directories(host);
  }

  std::string mkdir(const std::string& rel) const {
    fs::create_directories(host + "/" + rel);
    return host + "/" + rel;
  }

  process_executor_config config(const std::string& gate = {}) const {
    process_executor_config cfg;
    cfg.tasks_dir = data + "/tasks";
    cfg.data_dir = data;
    cfg.use_cgroups = false;
    cfg.gate_path = gate;
    return cfg;
  }
};

// Lines of this process's mount table that name `path`.
std::string mounts_naming(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::string out;
  while (std::getline(in, line))
    if (line.find(path) != std::string::npos)
      out += line + "\n";
  return out;
}

std::string own_mount_ns() {
  return fs::read_symlink("/proc/self/ns/mnt").string();
}

// Starts `t` through `exec` and waits (bounded) for its exit; its output.
std::string run_task(process_executor& exec, const pb::Task& t) {
  REQUIRE(exec.prepare(t).ok());
  auto proc = exec.start(t);
  REQUIRE(proc.ok());
  exit_waiter w;
  REQUIRE(exec.wait(proc->handle, true, w.callback()));
  REQUIRE(exec.release(*proc).ok());
  REQUIRE(w.wait());
  std::string reason;
  CHECK(exec.exec_result(*proc, reason) == exec_state::running);
  CHECK(reason.empty());
  CHECK(w.info->exit_code == 0);
  return read_all(exec.logs().log_path(t.id()));
}

} // namespace

TEST_CASE("task mounts: paths are cleaned and /proc, /sys, /dev reserved",
          "[unit]") {
  CHECK(clean_path("/srv/") == "/srv");
  CHECK(clean_path("//srv/./a/../b") == "/srv/b");
  CHECK(clean_path("/..") == "/");
  CHECK(clean_path("a/../..") == "..");
  CHECK(clean_path("") == ".");
  CHECK(reserved_target("/proc"));
  CHECK(reserved_target("/sys/fs/cgroup"));
  CHECK(reserved_target("/dev/shm"));
  CHECK_FALSE(reserved_target("/device"));
  CHECK_FALSE(reserved_target("/srv"));
}

TEST_CASE("task mounts: the node refuses a missing bind source, a missing "
          "target and a target in its data dir, and creates nothing",
          "[unit]") {
  node_dirs n;
  auto src = n.mkdir("src");
  auto target = n.mkdir("target");
  fs::create_directories(n.data + "/inside");
  fs::create_symlink(n.data + "/inside", n.host + "/link-into-data");
  write_file(n.host + "/file", "x");
  process_watcher watcher{20};
  process_executor exec{n.config(), watcher};
  struct row {
    const char* what;
    pb::Mount mount;
    std::string message;
  };
  std::vector<row> rows = {
    {"missing source", bind_mount(n.host + "/nope", target),
     "invalid mount config for type \"bind\": bind source path does not "
     "exist: "
       + n.host + "/nope"},
    {"missing target", bind_mount(src, n.host + "/nope"),
     "invalid mount config for type \"bind\": mount target does not exist on "
     "this node: "
       + n.host
       + "/nope (the host runtime mounts onto an existing path; create it "
         "first)"},
    {"volume onto a missing target", volume("v1", n.host + "/nope"),
     "invalid mount config for type \"volume\": mount target does not exist "
     "on this node: "
       + n.host
       + "/nope (the host runtime mounts onto an existing path; create it "
         "first)"},
    {"target in the data dir", bind_mount(src, n.data + "/inside"),
     "invalid mount config for type \"bind\": mount target " + n.data
       + "/inside is in the daemon's data dir " + n.data},
    {"the data dir itself", volume("v1", n.data),
     "invalid mount config for type \"volume\": mount target " + n.data
       + " is in the daemon's data dir " + n.data},
    {"a symlink into the data dir", bind_mount(src, n.host + "/link-into-data"),
     "invalid mount config for type \"bind\": mount target " + n.host
       + "/link-into-data is in the daemon's data dir " + n.data},
    {"a directory onto a file", bind_mount(src, n.host + "/file"),
     "invalid mount config for type \"bind\": mount target " + n.host
       + "/file is not a directory"},
    {"a file onto a directory", bind_mount(n.host + "/file", target),
     "invalid mount config for type \"bind\": mount target " + target
       + " is a directory, the source is not"},
  };
  int i = 0;
  for (const auto& r : rows) {
    INFO(r.what);
    auto t = make_task("rej" + std::to_string(++i), {"/bin/true"});
    *t.mutable_spec()->mutable_container()->add_mounts() = r.mount;
    auto p = exec.prepare(t);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == errc::invalid_spec);
    CHECK(p.error().message == r.message);
    CHECK_FALSE(fs::exists(n.data + "/tasks/" + t.id()));
    CHECK_FALSE(fs::exists(n.data + "/volumes"));
  }
  // Without a data dir there is nowhere to keep a named volume.
  process_executor_config bare;
  bare.tasks_dir = n.dir.path + "/tasks";
  bare.use_cgroups = false;
  process_executor no_data{bare, watcher};
  auto t = make_task("nodata", {"/bin/true"});
  *t.mutable_spec()->mutable_container()->add_mounts() = volume("v1", target);
  auto p = no_data.prepare(t);
  REQUIRE_FALSE(p);
  CHECK(p.error().message
        == "invalid mount config for type \"volume\": this node keeps no "
           "named volumes (no data dir)");
}

TEST_CASE("task mounts: the plan mounts parents first and names volumes "
          "<data>/volumes/<name>/_data",
          "[unit]") {
  node_dirs n;
  auto a = n.mkdir("a");
  auto ab = n.mkdir("a/b");
  pb::ContainerSpec c;
  *c.add_mounts() = bind_mount(n.host + "/a/", ab, true);
  *c.add_mounts() = volume("data", a);
  mount_config cfg{n.data + "/volumes", {n.data}};
  auto plan = plan_mounts(c, cfg);
  REQUIRE(plan);
  REQUIRE(plan->size() == 2);
  CHECK((*plan)[0].target == a);
  CHECK((*plan)[0].source == n.data + "/volumes/data/_data");
  CHECK((*plan)[0].volume);
  CHECK((*plan)[1].target == ab);
  CHECK((*plan)[1].source == a);
  CHECK((*plan)[1].read_only);
  CHECK_FALSE(fs::exists(n.data + "/volumes"));
  REQUIRE(create_volumes(*plan));
  CHECK(fs::is_directory(n.data + "/volumes/data/_data"));
}

TEST_CASE("task mounts: a failed mount names the mount", "[unit]") {
  spawn_error_record rec{static_cast<int32_t>(spawn_stage::mount) + 1, ENOTDIR};
  CHECK(describe(rec, "/bin/true", "/", "", {"/a on /x", "/b on /y"})
        == "task: mount /b on /y: Not a directory");
}

TEST_CASE("task mounts: a task sees its bind, read-only and volume mounts in "
          "its own mount namespace, the host's mount table unchanged",
          "[unit]") {
  if (::geteuid() != 0) {
    WARN("skipped: mount namespaces need root");
    return;
  }
  node_dirs n;
  // "": the gate next to the test binary; a path that is none: fork().
  auto gate = GENERATE(std::string(""), std::string("/nonexistent/gate"));
  INFO("gate: " << (gate.empty() ? "actorswarm-gate" : "fork"));
  auto src = n.mkdir("src");
  auto src_ro = n.mkdir("src-ro");
  write_file(src + "/hello", "hello\n");
  write_file(src_ro + "/inside", "ro-content\n");
  auto t_bind = n.mkdir("t/bind");
  auto t_ro = n.mkdir("t/ro");
  auto t_vol = n.mkdir("t/vol");
  auto before = mounts_naming(n.dir.path);
  process_watcher watcher{20};
  process_executor exec{n.config(gate), watcher};
  auto with_mounts = [&](pb::Task t) {
    auto& c = *t.mutable_spec()->mutable_container();
    *c.add_mounts() = bind_mount(src, t_bind);
    *c.add_mounts() = bind_mount(src_ro, t_ro, true);
    *c.add_mounts() = volume("keep", t_vol);
    return t;
  };
  auto first = with_mounts(
    make_task("m1", {"/bin/sh", "-c",
                     "cat " + t_bind
                       + "/hello; readlink /proc/self/ns/mnt; "
                         "if (echo x > "
                       + t_ro
                       + "/new) 2>/dev/null; then echo ro:writable; "
                         "else echo ro:refused; fi; cat "
                       + t_ro
                       + "/inside; "
                         "cat "
                       + t_vol
                       + "/keep 2>/dev/null || echo vol:empty; "
                         "echo kept > "
                       + t_vol + "/keep; echo written > " + t_bind + "/out"}));
  auto out = run_task(exec, first);
  auto ns = own_mount_ns();
  CHECK(out
        == "hello\n" + out.substr(6, out.find('\n', 6) - 6)
             + "\nro:refused\nro-content\nvol:empty\n");
  CHECK(out.find(ns) == std::string::npos); // a mount namespace of its own
  CHECK(out.find("mnt:[") != std::string::npos);
  // The writes went to the sources; the host's targets stay empty.
  CHECK(read_all(src + "/out") == "written\n");
  CHECK_FALSE(fs::exists(src_ro + "/new"));
  CHECK(fs::is_empty(t_bind));
  CHECK(fs::is_empty(t_ro));
  CHECK(fs::is_empty(t_vol));
  CHECK(read_all(n.data + "/volumes/keep/_data/keep") == "kept\n");
  // A later task (a replacement) finds the volume's content.
  auto second = with_mounts(make_task("m2", {"/bin/cat", t_vol + "/keep"}));
  CHECK(run_task(exec, second) == "kept\n");
  CHECK(mounts_naming(n.dir.path) == before);
  CHECK(before.empty());
}
