#include "cluster/netns_cluster.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace actorswarm::test {

namespace {

using namespace std::chrono_literals;

std::string trim(const std::string& x) {
  auto b = x.find_first_not_of(" \t\r\n");
  auto e = x.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : x.substr(b, e - b + 1);
}

// Reaps `pid` if it exited; true when it did (or is not our child).
bool reaped(pid_t pid) {
  int status = 0;
  auto r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || r < 0;
}

bool has_task_id(const std::string& pid) {
  static const std::string key = "ACTORSWARM_TASK_ID=";
  for (const auto& kv : split(read_file("/proc/" + pid + "/environ"), '\0'))
    if (kv.compare(0, key.size(), key) == 0)
      return true;
  return false;
}

} // namespace

// -- netns_daemon -------------------------------------------------------------

netns_daemon::netns_daemon(const netns_hosts& hosts, size_t i,
                           std::vector<std::string> flags)
  : hosts_(hosts), i_(i), flags_(std::move(flags)) {
  fs::create_directories(dir());
}

netns_daemon::~netns_daemon() {
  if (pid_ > 0 && !stop(SIGTERM))
    stop(SIGKILL);
  if (test_case_failed())
    std::fprintf(stderr,
                 "---- daemon log (host %zu, %s) ----\n%s---- end ----\n", i_,
                 dir().c_str(), daemon_log().c_str());
}

std::string netns_daemon::dir() const {
  return hosts_.dir() + "/node" + std::to_string(i_);
}

std::string netns_daemon::addr() const {
  return hosts_.addr(i_);
}

std::string netns_daemon::cluster_addr() const {
  return addr() + ":" + std::to_string(netns_cluster_port);
}

std::string netns_daemon::daemon_log() const {
  return read_file(dir() + "/daemon.log");
}

bool netns_daemon::start() {
  std::vector<std::string> args = {AS_BINARY,        "daemon",
                                   "--data-dir",     data_dir(),
                                   "--control-addr", "unix://" + socket_path(),
                                   "--listen-addr",  cluster_addr()};
  args.insert(args.end(), flags_.begin(), flags_.end());
  pid_ = hosts_.spawn(i_, args, dir() + "/daemon.log");
  if (pid_ <= 0) {
    pid_ = 0;
    return false;
  }
  auto pid = pid_;
  bool exited = false;
  auto up = eventually(
    [&] {
      if (reaped(pid)) {
        exited = true;
        return true;
      }
      return socket_answers(socket_path());
    },
    10s, 10ms);
  if (exited)
    pid_ = 0;
  return up && !exited;
}

bool netns_daemon::stop(int sig) {
  if (pid_ <= 0)
    return true;
  ::kill(pid_, sig);
  auto pid = pid_;
  if (!eventually([pid] { return reaped(pid); }, 15s, 10ms))
    return false;
  pid_ = 0;
  return true;
}

cmd_result netns_daemon::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {AS_BINARY, "-H", "unix://" + socket_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

std::vector<pid_t> netns_daemon::task_pids() const {
  std::vector<pid_t> pids;
  // The host's namespace and the task namespaces its daemon pinned (a
  // mounted pin's inode is the namespace's).
  std::set<ino_t> own{hosts_.host(i_).inode()};
  std::error_code ec;
  for (fs::directory_iterator it{data_dir() + "/netns", ec}, end;
       !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::stat(it->path().c_str(), &st) == 0)
      own.insert(st.st_ino);
  }
  ec.clear();
  for (fs::directory_iterator it{"/proc", ec}, end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    struct stat st {};
    if (::stat(("/proc/" + name + "/ns/net").c_str(), &st) != 0
        || own.count(st.st_ino) == 0)
      continue;
    auto pid = pid_t(std::stol(name));
    if (pid != pid_ && has_task_id(name) && process_alive(pid))
      pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::string netns_daemon::node_id() const {
  static const std::string key = " NodeID: ";
  for (const auto& line : lines_of(cli({"info"}).out))
    if (line.compare(0, key.size(), key) == 0)
      return trim(line.substr(key.size()));
  return "";
}

// -- netns_swarm --------------------------------------------------------------

netns_swarm::netns_swarm(const netns_hosts& hosts,
                         std::vector<std::string> flags)
  : hosts_(hosts) {
  for (size_t i = 0; i < hosts.size(); ++i)
    nodes_.push_back(std::make_unique<netns_daemon>(hosts, i, flags));
}

std::string netns_swarm::form(size_t managers,
                              const std::vector<std::string>& init_flags) {
  auto describe = [](const cmd_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out
           + "\nstderr: " + r.err;
  };
  for (auto& n : nodes_)
    if (!n->start())
      return "daemon on host " + std::to_string(n->host()) + " did not start:\n"
             + n->daemon_log();
  std::vector<std::string> init = {"swarm", "init", "--advertise-addr",
                                   nodes_[0]->addr()};
  init.insert(init.end(), init_flags.begin(), init_flags.end());
  auto r = nodes_[0]->cli(init);
  if (r.exit_code != 0)
    return "swarm init: " + describe(r);
  auto manager_token
    = trim(nodes_[0]->cli({"swarm", "join-token", "-q", "manager"}).out);
  auto worker_token
    = trim(nodes_[0]->cli({"swarm", "join-token", "-q", "worker"}).out);
  for (size_t i = 1; i < nodes_.size(); ++i) {
    bool manager = i < managers;
    r = nodes_[i]->cli({"swarm", "join", "--token",
                        manager ? manager_token : worker_token,
                        "--advertise-addr", nodes_[i]->addr(),
                        nodes_[0]->cluster_addr()});
    auto want = manager ? "This node joined a swarm as a manager.\n"
                        : "This node joined a swarm as a worker.\n";
    if (r.exit_code != 0 || r.out != want)
      return "join of host " + std::to_string(i) + ": " + describe(r);
  }
  auto all_ready = [&] {
    auto rows = node_ls(*nodes_[0]);
    return rows.size() == nodes_.size()
           && std::all_of(rows.begin(), rows.end(),
                          [](auto& x) { return x.status == "Ready"; });
  };
  if (!eventually(all_ready, 15s, 20ms))
    return "not every node is Ready";
  return "";
}

bool netns_swarm::stop_all() {
  bool clean = true;
  for (auto& n : nodes_)
    if (n->pid() > 0 && !n->stop(SIGTERM)) {
      clean = false;
      n->stop(SIGKILL);
    }
  return clean;
}

std::vector<netns_node_row> node_ls(const netns_daemon& d) {
  auto r = d.cli({"node", "ls", "--format",
                  "{{.ID}}|{{.Status}}|{{.ManagerStatus}}"});
  std::vector<netns_node_row> rows;
  if (r.exit_code != 0)
    return rows;
  for (const auto& line : lines_of(r.out)) {
    auto c = split(line, '|');
    if (c.size() == 3)
      rows.push_back({trim(c[0]), trim(c[1]), trim(c[2])});
  }
  return rows;
}

} // namespace actorswarm::test
