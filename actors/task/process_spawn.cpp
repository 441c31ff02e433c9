#include "actors/task/process_spawn.hpp"

#include "actors/task/sandbox.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_close_range
#  define SYS_close_range 436
#endif

namespace actorswarm::task {

namespace {

constexpr const char* default_path
  = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The gate's credentials argument: under the kernel's 128 KiB per argument.
constexpr size_t creds_text_size_max = 64 * 1024;

// A failed credentials step is reported as the spawn stage of that number.
static_assert(static_cast<int32_t>(os::credentials_step::user)
              == static_cast<int32_t>(spawn_stage::user));
static_assert(static_cast<int32_t>(os::credentials_step::caps)
              == static_cast<int32_t>(spawn_stage::caps));

/// Child side: everything it touches is ready-made memory and fds.
struct child_args {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* workdir;
  int log_fd;
  int null_fd;
  int gate_fd;                 // read end
  int err_fd;                  // write end, close-on-exec
  int netns_fd;                // -1: stay in the daemon's network namespace
  const char* hostname;        // sandbox (enter_sandbox); "" for none
  const char* resolv_conf;     // sandbox; "" for none
  const sandbox_mount* mounts; // sandbox: the task's binds
  size_t mount_count;
  const os::credentials* creds;
};

// Async-signal-safe: report a failed stage to the parent.
void report(int err_fd, spawn_stage stage, int err) {
  spawn_error_record rec{static_cast<int32_t>(stage), err};
  [[maybe_unused]] auto n = write(err_fd, &rec, sizeof(rec));
}

// Async-signal-safe: close every fd >= 3 except `keep_a` and `keep_b`, so no
// daemon fd (sockets, RocksDB files, other tasks' gates) leaks into the task.
void close_other_fds(int keep_a, int keep_b) {
  int lo = keep_a < keep_b ? keep_a : keep_b;
  int hi = keep_a < keep_b ? keep_b : keep_a;
  if (lo > 3)
    syscall(SYS_close_range, 3u, static_cast<unsigned>(lo - 1), 0u);
  if (hi > lo + 1)
    syscall(SYS_close_range, static_cast<unsigned>(lo + 1),
            static_cast<unsigned>(hi - 1), 0u);
  syscall(SYS_close_range, static_cast<unsigned>(hi + 1), ~0u, 0u);
}

// Async-signal-safe: block until the parent releases (1 byte) or aborts
// (EOF). Bounded: EINTR is the only reason to read again.
bool wait_gate(int gate_fd) {
  char c = 0;
  for (int i = 0; i < 1000; ++i) {
    auto n = read(gate_fd, &c, 1);
    if (n == 1)
      return true;
    if (n == 0 || errno != EINTR)
      return false;
  }
  return false;
}

// In a forked child (async-signal-safe calls only): the daemon's signal
// mask and ignored signals must not reach a task or a check, and each gets
// a process group of its own (killed as one).
void reset_signals_and_group() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    sigaction(sig, &dfl, nullptr);
  setpgid(0, 0);
}

[[noreturn]] void child_main(const child_args& a) {
  reset_signals_and_group();
  bool setup_ok = true;
  if (dup2(a.null_fd, 0) < 0 || dup2(a.log_fd, 1) < 0
      || dup2(a.log_fd, 2) < 0) {
    report(a.err_fd, spawn_stage::stdio, errno);
    setup_ok = false;
  }
  for (int fd = 0; fd < 3; ++fd)
    fcntl(fd, F_SETFD, 0);
  if (setup_ok && a.netns_fd >= 0 && setns(a.netns_fd, CLONE_NEWNET) != 0) {
    report(a.err_fd, spawn_stage::netns, errno);
    setup_ok = false;
  }
  if (setup_ok && (a.netns_fd >= 0 || a.mount_count > 0)) {
    size_t failed = 0;
    if (int err = enter_sandbox(a.hostname, a.resolv_conf, a.mounts,
                                a.mount_count, failed)) {
      auto stage
        = failed < a.mount_count
            ? static_cast<spawn_stage>(static_cast<int32_t>(spawn_stage::mount)
                                       + static_cast<int32_t>(failed))
            : spawn_stage::sandbox;
      report(a.err_fd, stage, err);
      setup_ok = false;
    }
  }
  if (setup_ok && chdir(a.workdir) != 0) {
    report(a.err_fd, spawn_stage::chdir, errno);
    setup_ok = false;
  }
  close_other_fds(a.gate_fd, a.err_fd);
  // Wait at the gate even after a failed setup, so the parent always holds
  // the child before it can exit (the watcher never reaps it unseen).
  if (!wait_gate(a.gate_fd) || !setup_ok)
    _exit(127);
  close(a.gate_fd);
  auto step = os::credentials_step::none;
  if (int err = os::apply_credentials(*a.creds, step)) {
    report(a.err_fd, static_cast<spawn_stage>(step), err);
    _exit(127);
  }
  execve(a.path, a.argv, a.envp);
  report(a.err_fd, spawn_stage::exec, errno);
  _exit(127);
}

std::vector<char*> c_strings(const std::vector<std::string>& xs) {
  std::vector<char*> out;
  out.reserve(xs.size() + 1);
  for (auto& x : xs)
    out.push_back(const_cast<char*>(x.c_str()));
  out.push_back(nullptr);
  return out;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)
         && ::access(path.c_str(), X_OK) == 0;
}

void close_all(std::initializer_list<int> fds) {
  for (int fd : fds)
    if (fd >= 0)
      close(fd);
}

// Moves `fd` to 5 or above (close-on-exec), so the spawn's dup2 onto fds
// 0..4 never overwrites a source fd it still needs.
bool raise_fd(int& fd) {
  if (fd >= 5)
    return true;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 5);
  if (high < 0)
    return false;
  close(fd);
  fd = high;
  return true;
}

// Moves the namespace fd to 6 or above (close-on-exec): the spawn dup2's it
// onto 5, which must be another fd for the dup to clear close-on-exec.
bool raise_netns_fd(int& fd) {
  if (fd < 0 || fd >= 6)
    return true;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 6);
  if (high < 0)
    return false;
  close(fd);
  fd = high;
  return true;
}

// The gate's <sandbox> argument: "" (none), or "<hostname>\n<resolv.conf>"
// (a networked task's; both "" without a network namespace) followed by
// "\n<ro|rw>\n<source>\n<target>" per mount.
std::string sandbox_text(const spawn_request& req, bool netns) {
  bool named = netns && !(req.hostname.empty() && req.resolv_conf.empty());
  if (!named && req.mounts.empty())
    return {};
  std::string out = netns ? req.hostname + "\n" + req.resolv_conf : "\n";
  for (const auto& m : req.mounts)
    out += std::string("\n") + (m.read_only ? "ro" : "rw") + "\n" + m.source
           + "\n" + m.target;
  return out;
}

// posix_spawn of the gate program (argv: gate, workdir, credentials,
// sandbox, program, task argv)
// with the child's whole setup as attributes and file actions: own process
// group, empty signal mask, every signal at its default, stdin /dev/null,
// stdout and stderr the log, fd 3 the gate, fd 4 the error pipe, fd 5 the
// network namespace to enter (when `netns_fd` >= 0), no other fd. Returns
// the pid, or -1.
pid_t spawn_gate(const spawn_request& req, const std::string& creds,
                 const std::vector<char*>& argv, char* const* envp, int log_fd,
                 int gate_fd, int err_fd, int netns_fd) {
  auto sandbox = sandbox_text(req, netns_fd >= 0);
  std::vector<char*> gate_argv{const_cast<char*>(req.gate_path.c_str()),
                               const_cast<char*>(req.workdir.c_str()),
                               const_cast<char*>(creds.c_str()),
                               const_cast<char*>(sandbox.c_str()),
                               const_cast<char*>(req.path.c_str())};
  gate_argv.insert(gate_argv.end(), argv.begin(), argv.end());
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  if (posix_spawnattr_init(&attr) != 0)
    return -1;
  if (posix_spawn_file_actions_init(&fa) != 0) {
    posix_spawnattr_destroy(&attr);
    return -1;
  }
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  int rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP
                                             | POSIX_SPAWN_SETSIGMASK
                                             | POSIX_SPAWN_SETSIGDEF);
  rc |= posix_spawnattr_setpgroup(&attr, 0);
  rc |= posix_spawnattr_setsigmask(&attr, &none);
  rc |= posix_spawnattr_setsigdefault(&attr, &all);
  rc |= posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  rc |= posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
  rc |= posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
  rc |= posix_spawn_file_actions_adddup2(&fa, gate_fd, 3);
  rc |= posix_spawn_file_actions_adddup2(&fa, err_fd, 4);
  if (netns_fd >= 0)
    rc |= posix_spawn_file_actions_adddup2(&fa, netns_fd, 5);
  rc |= posix_spawn_file_actions_addclosefrom_np(&fa, netns_fd >= 0 ? 6 : 5);
  pid_t pid = -1;
  if (rc != 0
      || posix_spawn(&pid, req.gate_path.c_str(), &fa, &attr, gate_argv.data(),
                     envp)
           != 0)
    pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return pid;
}

// The fork() path: the child sets itself up (child_main). Returns the pid,
// or -1 with `fork_errno` set.
pid_t fork_gated(const spawn_request& req, const os::credentials& creds,
                 const std::vector<sandbox_mount>& mounts, char* const* argv,
                 char* const* envp, int log_fd, int gate_fd, int err_fd,
                 int netns_fd, int& fork_errno) {
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    fork_errno = errno;
    return -1;
  }
  child_args args{req.path.c_str(),
                  argv,
                  envp,
                  req.workdir.c_str(),
                  log_fd,
                  null_fd,
                  gate_fd,
                  err_fd,
                  netns_fd,
                  netns_fd >= 0 ? req.hostname.c_str() : "",
                  netns_fd >= 0 ? req.resolv_conf.c_str() : "",
                  mounts.data(),
                  mounts.size(),
                  &creds};
  pid_t pid = fork();
  if (pid == 0)
    child_main(args);
  fork_errno = errno;
  close(null_fd);
  // Both sides set the group, so it exists before either one goes on.
  if (pid > 0)
    setpgid(pid, pid);
  return pid;
}

/// A probe child's inputs (spawn_probe); ready-made memory and fds only.
struct probe_args {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* workdir;
  int null_fd;
  int ns_fds[3]; // -1: keep the daemon's (net, uts, mnt, in that order)
  const os::credentials* creds;
};

[[noreturn]] void probe_main(const probe_args& a) {
  reset_signals_and_group();
  if (dup2(a.null_fd, 0) < 0 || dup2(a.null_fd, 1) < 0
      || dup2(a.null_fd, 2) < 0)
    _exit(127);
  // The mount namespace last: joining it changes the root and cwd.
  for (int fd : a.ns_fds)
    if (fd >= 0 && setns(fd, 0) != 0)
      _exit(127);
  if (chdir(a.workdir) != 0)
    _exit(127);
  syscall(SYS_close_range, 3u, ~0u, 0u);
  auto step = os::credentials_step::none;
  if (os::apply_credentials(*a.creds, step) != 0)
    _exit(127);
  execve(a.path, a.argv, a.envp);
  _exit(127);
}

// The namespace `kind` ("net", "uts", "mnt") of `pid` opened, or -1 when it
// is the daemon's own (nothing to enter). Fails if it cannot be read.
result<int> open_ns(pid_t pid, const char* kind) {
  auto mine = std::string("/proc/self/ns/") + kind;
  auto theirs = "/proc/" + std::to_string(pid) + "/ns/" + kind;
  struct stat a {};
  struct stat b {};
  if (::stat(theirs.c_str(), &b) != 0)
    return fail(errc::internal,
                "task: health check: " + theirs + ": " + std::strerror(errno));
  if (::stat(mine.c_str(), &a) == 0 && a.st_dev == b.st_dev
      && a.st_ino == b.st_ino)
    return -1;
  int fd = ::open(theirs.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errc::internal,
                "task: health check: " + theirs + ": " + std::strerror(errno));
  return fd;
}

} // namespace

result<pid_t> spawn_probe(const probe_request& req) {
  auto argv = c_strings(req.argv);
  auto envp = c_strings(req.env);
  auto creds = req.creds;
  creds.groups = req.groups.data();
  creds.group_count = req.groups.size();
  int fds[3] = {-1, -1, -1};
  const char* kinds[3] = {"net", "uts", "mnt"};
  for (int i = 0; i < 3; ++i) {
    auto fd = open_ns(req.ns_pid, kinds[i]);
    if (!fd) {
      close_all({fds[0], fds[1], fds[2]});
      return fd.error();
    }
    fds[i] = *fd;
  }
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    int e = errno;
    close_all({fds[0], fds[1], fds[2]});
    return fail(errc::internal, std::string("task: health check: /dev/null: ")
                                  + std::strerror(e));
  }
  probe_args args{req.path.c_str(),
                  argv.data(),
                  envp.data(),
                  req.workdir.c_str(),
                  null_fd,
                  {fds[0], fds[1], fds[2]},
                  &creds};
  pid_t pid = fork();
  if (pid == 0)
    probe_main(args);
  int e = errno;
  close_all({null_fd, fds[0], fds[1], fds[2]});
  if (pid < 0)
    return fail(errc::internal,
                std::string("task: health check: fork: ") + std::strerror(e));
  setpgid(pid, pid); // both sides, so the group exists before a kill
  return pid;
}

result<std::string> resolve_program(const std::string& program,
                                    const std::vector<std::string>& env) {
  if (program.empty())
    return fail(errc::invalid_spec, "task: no command");
  if (program.find('/') != std::string::npos)
    return program;
  std::string path = default_path;
  for (auto& kv : env)
    if (kv.rfind("PATH=", 0) == 0)
      path = kv.substr(5);
  size_t pos = 0;
  for (int i = 0; i < 4096 && pos <= path.size(); ++i) {
    auto colon = path.find(':', pos);
    auto dir = path.substr(pos, colon == std::string::npos ? std::string::npos
                                                           : colon - pos);
    auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (is_executable_file(candidate))
      return candidate;
    if (colon == std::string::npos)
      break;
    pos = colon + 1;
  }
  return fail(errc::invalid_spec, "task: exec \"" + program
                                    + "\": executable file not found in $PATH");
}

std::string describe(const spawn_error_record& rec, const std::string& path,
                     const std::string& workdir, const std::string& user,
                     const std::vector<std::string>& mounts) {
  std::string reason = std::strerror(rec.err);
  auto base = static_cast<int32_t>(spawn_stage::mount);
  if (rec.stage >= base) {
    auto i = static_cast<size_t>(rec.stage - base);
    return "task: mount "
           + (i < mounts.size() ? mounts[i] : "#" + std::to_string(i + 1))
           + ": " + reason;
  }
  switch (static_cast<spawn_stage>(rec.stage)) {
    case spawn_stage::stdio:
      return "task: redirect output: " + reason;
    case spawn_stage::chdir:
      return "task: chdir \"" + workdir + "\": " + reason;
    case spawn_stage::user:
      return "task: set user \"" + user + "\": " + reason;
    case spawn_stage::caps:
      return "task: set capabilities: " + reason;
    case spawn_stage::netns:
      return "task: enter network namespace: " + reason;
    case spawn_stage::sandbox:
      return "task: set up hostname, resolv.conf and mounts: " + reason;
    case spawn_stage::args:
      return "task: the start gate does not understand its arguments (is "
             "actorswarm-gate from the same build?)";
    default:
      return "task: exec \"" + path + "\": " + reason;
  }
}

std::string find_gate_program(const std::string& override_path) {
  auto path = override_path;
  if (path.empty()) {
    char buf[PATH_MAX];
    auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
      return {};
    std::string self(buf, static_cast<size_t>(n));
    auto slash = self.rfind('/');
    if (slash == std::string::npos)
      return {};
    path = self.substr(0, slash + 1) + "actorswarm-gate";
  }
  return is_executable_file(path) ? path : std::string{};
}

result<spawned> spawn_gated(const spawn_request& req) {
  auto argv = c_strings(req.argv);
  auto envp = c_strings(req.env);
  auto creds = req.creds;
  creds.groups = req.groups.data();
  creds.group_count = req.groups.size();
  // The gate's argument; a group list too long for one argument fails here.
  std::string creds_text(creds_text_size_max, '\0');
  if (!os::format_credentials(creds, creds_text.data(), creds_text.size()))
    return fail(errc::invalid_spec, "task: user has too many groups ("
                                      + std::to_string(creds.group_count)
                                      + ")");
  creds_text.resize(std::strlen(creds_text.c_str()));
  // The child's mount table, pointing into `req` (no allocation after fork).
  if (req.mounts.size() > sandbox_mounts_max)
    return fail(errc::invalid_spec, "task: too many mounts ("
                                      + std::to_string(req.mounts.size())
                                      + ")");
  std::vector<sandbox_mount> mounts;
  for (const auto& m : req.mounts) {
    if ((m.source + m.target).find('\n') != std::string::npos)
      return fail(errc::invalid_spec,
                  "task: mount paths must not contain a newline");
    mounts.push_back({m.source.c_str(), m.target.c_str(), m.read_only});
  }
  // Read-write: on the task's FIFO the task then holds a reader of its own,
  // so its writes never raise SIGPIPE while the daemon (the pump) is down.
  int log_fd = ::open(req.log_path.c_str(),
                      O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0)
    return fail(errc::internal,
                "task: open log " + req.log_path + ": " + std::strerror(errno));
  int netns_fd = -1;
  if (!req.netns_path.empty()) {
    netns_fd = ::open(req.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) {
      int e = errno;
      close(log_fd);
      return fail(errc::internal, "task: open network namespace "
                                    + req.netns_path + ": " + std::strerror(e));
    }
  }
  int gate[2] = {-1, -1};
  int err[2] = {-1, -1};
  // A socketpair for the gate: send(MSG_NOSIGNAL) to a dead child is EPIPE,
  // not SIGPIPE for the daemon.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) != 0
      || pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    close_all({log_fd, gate[0], gate[1], err[0], err[1], netns_fd});
    return fail(errc::internal, std::string("task: pipe: ") + std::strerror(e));
  }
  pid_t pid = -1;
  if (!req.gate_path.empty() && raise_fd(log_fd) && raise_fd(gate[1])
      && raise_fd(err[1]) && raise_netns_fd(netns_fd))
    pid = spawn_gate(req, creds_text, argv, envp.data(), log_fd, gate[1],
                     err[1], netns_fd);
  int fork_errno = 0;
  if (pid < 0) // no gate program, or it could not be spawned
    pid = fork_gated(req, creds, mounts, argv.data(), envp.data(), log_fd,
                     gate[1], err[1], netns_fd, fork_errno);
  close_all({log_fd, gate[1], err[1], netns_fd});
  if (pid < 0) {
    close_all({gate[0], err[0]});
    return fail(errc::internal,
                std::string("task: fork: ") + std::strerror(fork_errno));
  }
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  return spawned{pid, gate[0], err[0]};
}

} // namespace actorswarm::task
