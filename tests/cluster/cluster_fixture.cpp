#include "cluster/cluster_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

// The listener interface (Catch2 v2) is visible only with this define.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include "os/netns.hpp"

namespace fs = std::filesystem;

namespace actorswarm::test {

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

using clock_type = std::chrono::steady_clock;

// Set by the listener below when an assertion of the running test case fails,
// so the fixture knows (in its destructor) whether to print the daemon log.
bool current_test_failed = false;

struct failure_listener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(const Catch::TestCaseInfo&) override {
    current_test_failed = false;
  }

  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk())
      current_test_failed = true;
    return true;
  }
};

CATCH_REGISTER_LISTENER(failure_listener)

} // namespace

bool socket_answers(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
            == 0;
  ::close(fd);
  return ok;
}

bool test_case_failed() {
  return current_test_failed;
}

namespace {

// Exec in a forked child: never returns. Async-signal-safe enough for a test
// process (no locks are held by other threads of the test runner).
[[noreturn]] void exec_child(const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env) {
  for (const auto& kv : extra_env)
    ::putenv(const_cast<char*>(kv.c_str()));
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  std::fprintf(stderr, "exec %s failed\n", argv[0]);
  ::_exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

// Waits at most `timeout` for child `pid`; -2 while it still runs.
int wait_child(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (int i = 0; i < 100000; ++i) {
    int status = 0;
    auto r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return decode_status(status);
    if (r < 0)
      return -1;
    if (clock_type::now() >= deadline)
      return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return -2;
}

// Reads both pipes until EOF or `deadline`.
void drain(int out_fd, int err_fd, cmd_result& r,
           clock_type::time_point deadline) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  for (int i = 0; i < 100000 && open_fds > 0; ++i) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    if (left.count() <= 0 || ::poll(fds, 2, int(left.count())) <= 0)
      return;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0)
        continue;
      char buf[4096];
      auto n = ::read(fds[k].fd, buf, sizeof(buf));
      if (n <= 0) {
        fds[k].fd = -1;
        --open_fds;
      } else {
        sinks[k]->append(buf, size_t(n));
      }
    }
  }
}

std::set<std::string> task_ids_in(const std::string& tasks_dir) {
  std::set<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it{tasks_dir, ec}, end; !ec && it != end;
       it.increment(ec))
    ids.insert(it->path().filename().string());
  return ids;
}

// The ACTORSWARM_TASK_ID value in /proc/<pid>/environ, or "".
std::string task_id_of(const std::string& pid) {
  static const std::string key = "ACTORSWARM_TASK_ID=";
  auto env = read_file("/proc/" + pid + "/environ");
  for (const auto& kv : split(env, '\0'))
    if (kv.compare(0, key.size(), key) == 0)
      return kv.substr(key.size());
  return "";
}

} // namespace

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  auto deadline = clock_type::now() + timeout;
  for (int i = 0; i < 100000; ++i) {
    if (pred())
      return true;
    if (clock_type::now() >= deadline)
      return false;
    std::this_thread::sleep_for(step);
  }
  return false;
}

cmd_result run_process(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout,
                       const std::vector<std::string>& extra_env) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  auto pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    exec_child(args, extra_env);
  }
  ::close(out[1]);
  ::close(err[1]);
  cmd_result r;
  auto deadline = clock_type::now() + timeout;
  drain(out[0], err[0], r, deadline);
  ::close(out[0]);
  ::close(err[0]);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - clock_type::now());
  r.exit_code = wait_child(pid, std::max(left, std::chrono::milliseconds{1}));
  if (r.exit_code == -2) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    r.exit_code = -1;
  }
  return r;
}

int free_port(const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

bool process_alive(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size())
    return false;
  auto state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> xs;
  size_t pos = 0;
  for (size_t i = 0; i <= text.size() && xs.size() < 1000000; ++i)
    if (i == text.size() || text[i] == sep) {
      xs.push_back(text.substr(pos, i - pos));
      pos = i + 1;
    }
  return xs;
}

std::vector<std::string> lines_of(const std::string& text) {
  auto xs = split(text, '\n');
  if (!xs.empty() && xs.back().empty())
    xs.pop_back();
  return xs;
}

// -- cluster_fixture ----------------------------------------------------------

cluster_fixture::cluster_fixture() {
  std::string tmpl = "/tmp/as-cluster-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  port_ = free_port();
}

namespace {

// The network namespaces a killed daemon left pinned under its data dirs
// (<data-dir>/netns, kept for a restart to adopt): unpinned, so they die
// with their devices, and the pin directory's mount point released, so the
// temp dir can go.
void release_netns_pins(const std::string& root) {
  std::error_code ec;
  std::vector<std::string> dirs;
  fs::recursive_directory_iterator it(root, ec), end;
  for (int i = 0; !ec && it != end && i < 100000; it.increment(ec), ++i)
    if (it->is_directory(ec) && it->path().filename() == "netns"
        && it.depth() <= 3)
      dirs.push_back(it->path().string());
  for (auto& d : dirs) {
    actorswarm::os::netns_dir pins(d);
    if (auto xs = pins.list())
      for (auto& x : *xs)
        pins.remove(x.name);
    pins.release();
  }
}

} // namespace

cluster_fixture::~cluster_fixture() {
  if (daemon_pid_ > 0 && !stop_daemon(SIGTERM))
    stop_daemon(SIGKILL);
  kill_leftover_tasks();
  if (current_test_failed) {
    std::fprintf(stderr, "---- daemon log (%s) ----\n%s---- end ----\n",
                 dir_.c_str(), daemon_log().c_str());
  }
  release_netns_pins(dir_);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

pid_t cluster_fixture::spawn_daemon(const std::string& data_dir,
                                    const std::string& control_path,
                                    const std::string& log_path) const {
  std::vector<std::string> args = {AS_BINARY, "daemon", "--data-dir", data_dir,
                                   "--control-addr", "unix://" + control_path,
                                   "--listen-addr", cluster_addr(),
                                   // These daemons run in the machine's own
                                   // namespace: no gateway bridge there.
                                   "--gateway-subnet", "none"};
  args.insert(args.end(), daemon_flags_.begin(), daemon_flags_.end());
  int log_fd = ::open(log_path.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  auto pid = ::fork();
  if (pid == 0) {
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    exec_child(args, {});
  }
  ::close(log_fd);
  return pid;
}

bool cluster_fixture::start_daemon() {
  daemon_pid_ = spawn_daemon(data_dir(), socket_path(), dir_ + "/daemon.log");
  auto pid = daemon_pid_;
  bool exited = false;
  auto up = eventually([&] {
    if (wait_child(pid, std::chrono::milliseconds{0}) != -2) {
      exited = true;
      return true;
    }
    return socket_answers(socket_path());
  });
  if (exited)
    daemon_pid_ = 0;
  return up && !exited;
}

cmd_result
cluster_fixture::run_daemon_until_exit(const std::string& data_dir,
                                       const std::string& control_path,
                                       std::chrono::milliseconds wait) {
  auto log_path = dir_ + "/other-daemon.log";
  std::error_code ec;
  fs::remove(log_path, ec);
  auto pid = spawn_daemon(data_dir, control_path, log_path);
  cmd_result r;
  r.exit_code = wait_child(pid, wait);
  if (r.exit_code == -2) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    r.exit_code = -1;
  }
  r.err = read_file(log_path);
  return r;
}

bool cluster_fixture::stop_daemon(int sig) {
  if (daemon_pid_ <= 0)
    return true;
  ::kill(daemon_pid_, sig);
  if (wait_child(daemon_pid_, std::chrono::seconds{15}) == -2)
    return false;
  daemon_pid_ = 0;
  return true;
}

cmd_result cluster_fixture::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {AS_BINARY, "-H", "unix://" + socket_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

bool cluster_fixture::swarm_init() const {
  return cli({"swarm", "init"}).exit_code == 0;
}

std::vector<pid_t> cluster_fixture::task_pids() const {
  auto ids = task_ids_in(data_dir() + "/tasks");
  std::vector<pid_t> pids;
  std::error_code ec;
  for (fs::directory_iterator it{"/proc", ec}, end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto id = task_id_of(name);
    if (!id.empty() && ids.count(id) > 0 && process_alive(std::stoi(name)))
      pids.push_back(std::stoi(name));
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

pid_t cluster_fixture::task_pid(const std::string& task_id) const {
  for (auto pid : task_pids())
    if (task_id_of(std::to_string(pid)) == task_id)
      return pid;
  return 0;
}

size_t
cluster_fixture::wait_task_count(size_t n,
                                 std::chrono::milliseconds timeout) const {
  size_t seen = 0;
  auto settled = [&] {
    seen = task_pids().size();
    if (seen != n)
      return false;
    // Stays so: a replacement or a late duplicate would show up here.
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    seen = task_pids().size();
    return seen == n;
  };
  eventually(settled, timeout);
  return seen;
}

void cluster_fixture::kill_leftover_tasks() const {
  // Only processes this test started through its daemon: their task id is
  // a dir under our data dir.
  for (int round = 0; round < 50; ++round) {
    auto pids = task_pids();
    if (pids.empty())
      return;
    for (auto pid : pids)
      ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

std::vector<task_row> cluster_fixture::ps_rows(const std::string& name) const {
  auto r = cli({"service", "ps", "--no-trunc", "--format",
                "{{.ID}}|{{.Name}}|{{.Node}}|{{.DesiredState}}|"
                "{{.CurrentState}}|{{.Error}}",
                name});
  std::vector<task_row> rows;
  if (r.exit_code != 0)
    return rows;
  for (const auto& line : lines_of(r.out)) {
    auto c = split(line, '|');
    if (c.size() >= 6)
      rows.push_back({c[0], c[1], c[2], c[3], c[4], c[5]});
  }
  return rows;
}

std::string cluster_fixture::replicas_of(const std::string& name) const {
  auto r = cli({"service", "ls", "--format", "{{.Name}}|{{.Replicas}}"});
  for (const auto& line : lines_of(r.out)) {
    auto c = split(line, '|');
    if (c.size() == 2 && c[0] == name)
      return c[1];
  }
  return "";
}

bool cluster_fixture::wait_replicas(const std::string& name,
                                    const std::string& want,
                                    std::chrono::milliseconds timeout) const {
  return eventually([&] { return replicas_of(name) == want; }, timeout,
                    std::chrono::milliseconds{50});
}

std::string cluster_fixture::daemon_log() const {
  return read_file(dir_ + "/daemon.log");
}

std::vector<std::string> error_lines(const std::string& err) {
  std::vector<std::string> xs;
  for (auto& line : lines_of(err))
    if (!line.empty() && line.rfind("See '", 0) != 0)
      xs.push_back(line);
  return xs;
}

void expect_refused(const cluster_fixture& f,
                    const std::vector<std::string>& args,
                    const std::string& needle, int exit_code) {
  auto before = f.cli({"service", "ls"});
  auto r = f.cli(args);
  auto after = f.cli({"service", "ls"});
  std::string cmd;
  for (auto& a : args)
    cmd += a + " ";
  INFO("command: " << cmd << "\nstdout: " << r.out << "\nstderr: " << r.err);
  if (exit_code != 0)
    CHECK(r.exit_code == exit_code);
  else
    CHECK(r.exit_code != 0);
  CHECK(error_lines(r.err).size() == 1);
  CHECK(r.err.find(needle) != std::string::npos);
  CHECK(after.exit_code == 0);
  CHECK(after.out == before.out);
  CHECK(process_alive(f.daemon_pid()));
}

} // namespace actorswarm::test
