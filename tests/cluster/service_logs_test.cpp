// Cluster: `service logs` across nodes (issue #11). A manager and a worker
// on loopback; a 2-replica service (one task per node, no published port)
// whose tasks print their id. `service logs` on the manager shows both
// tasks' lines with docker's prefixes, the worker refuses it as a
// manager-only command, and `--follow` picks up the replacement of a task
// killed with SIGKILL on the worker. Bounded waits, no sleeps.

#include "cluster/manager_set.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// A CLI call that runs in the background (`service logs -f`), its stdout
// in a file; stopped by PID (SIGKILL, as a closed terminal) at the end.
class background_cli {
public:
  background_cli(const cluster_fixture& f, std::vector<std::string> args)
    : out_path_(f.dir() + "/follow.out") {
    std::vector<std::string> argv = {AS_BINARY, "-H",
                                     "unix://" + f.socket_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    int fd = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0600);
    REQUIRE(fd >= 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> xs;
      for (auto& a : argv)
        xs.push_back(a.data());
      xs.push_back(nullptr);
      ::execv(xs[0], xs.data());
      ::_exit(127);
    }
    ::close(fd);
    REQUIRE(pid_ > 0);
  }

  ~background_cli() {
    stop();
  }

  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

  bool running() const {
    return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0;
  }

  std::string output() const {
    return read_file(out_path_);
  }

private:
  std::string out_path_;
  pid_t pid_ = 0;
};

// docker's prefix of a task's lines: `web.1.<id12>@<node>    | `.
std::string prefix(const task_row& t) {
  return t.name + "." + t.id.substr(0, 12) + "@" + t.node + "    | ";
}

std::vector<task_row> running_rows(const cluster_fixture& f) {
  std::vector<task_row> out;
  for (auto& r : f.ps_rows("web"))
    if (r.desired_state == "Running"
        && r.current_state.rfind("Running", 0) == 0)
      out.push_back(r);
  return out;
}

} // namespace

TEST_CASE("cluster: service logs on a manager merges the tasks of both nodes "
          "with docker's prefixes and follows a replacement task",
          "[cluster]") {
  manager_set m{1, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  auto r = m[0].cli({"service", "create", "-d", "--name", "web", "--replicas",
                     "2", "--replicas-max-per-node", "1", "--restart-delay",
                     "0s", "host", "sh", "-c",
                     "echo start $ACTORSWARM_TASK_ID; exec sleep 3600"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  REQUIRE(m.wait_total_tasks(2, 20s) == 2);
  CHECK(m[0].task_pids().size() == 1);
  CHECK(m[1].task_pids().size() == 1);
  std::vector<task_row> rows;
  REQUIRE(eventually([&] { return (rows = running_rows(m[0])).size() == 2; },
                     20s, 100ms));
  // check: both tasks' lines, each with its prefix, from one manager call
  cmd_result logs;
  auto both = [&] {
    logs = m[0].cli({"service", "logs", "web"});
    for (auto& t : rows)
      if (!contains(logs.out, prefix(t) + "start " + t.id + "\n"))
        return false;
    return true;
  };
  CHECK(eventually(both, 20s, 100ms));
  INFO(describe(logs));
  CHECK(logs.exit_code == 0);
  CHECK(lines_of(logs.out).size() == 2);
  // check: --no-task-ids drops the id, --raw the prefix; one task by its id
  auto bare = m[0].cli({"service", "logs", "--no-task-ids", "web"});
  CHECK(contains(bare.out, rows[0].name + "@" + rows[0].node + "    | start "));
  auto raw = m[0].cli({"service", "logs", "--raw", rows[1].id});
  INFO(describe(raw));
  CHECK(raw.out == "start " + rows[1].id + "\n");
  // check: the worker refuses a manager-only command
  auto refused = m[1].cli({"service", "logs", "web"});
  CHECK(refused.exit_code != 0);
  CHECK(contains(refused.err, "This node is not a swarm manager."));
  // start: follow, then the worker's task dies hard
  background_cli follow{m[0], {"service", "logs", "-f", "web"}};
  auto seen_both = [&] {
    auto out = follow.output();
    return contains(out, "start " + rows[0].id)
           && contains(out, "start " + rows[1].id);
  };
  REQUIRE(eventually(seen_both, 20s, 100ms));
  pid_t victim = 0;
  for (auto& t : rows)
    if (auto p = m[1].task_pid(t.id); p > 0)
      victim = p;
  REQUIRE(victim > 0);
  REQUIRE(::kill(victim, SIGKILL) == 0);
  // check: the replacement's first line joins the stream
  std::vector<task_row> now;
  auto replaced = [&] {
    now = running_rows(m[0]);
    for (auto& t : now)
      if (t.id != rows[0].id && t.id != rows[1].id
          && contains(follow.output(), prefix(t) + "start " + t.id))
        return true;
    return false;
  };
  CHECK(eventually(replaced, 30s, 100ms));
  INFO(follow.output());
  CHECK(follow.running());
  follow.stop();
}
