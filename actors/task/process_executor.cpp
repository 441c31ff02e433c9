#include "actors/task/process_executor.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/task/log_writer.hpp"
#include "actors/task/privileges.hpp"
#include "actors/task/process_spawn.hpp"
#include "os/users.hpp"

namespace actorswarm::task {

namespace {

constexpr const char* default_path
  = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> daemon_env() {
  std::vector<std::string> out;
  for (const char* name : {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER"}) {
    if (const char* value = std::getenv(name))
      out.push_back(std::string(name) + "=" + value);
    else if (std::strcmp(name, "PATH") == 0)
      out.push_back(std::string("PATH=") + default_path);
  }
  return out;
}

// Sets K=V in `env`, replacing an earlier K. A bare "K" (docker's "take the
// client's value") was resolved by the CLI; here it is ignored.
void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0)
    return;
  auto prefix = kv.substr(0, eq + 1);
  for (auto& x : env) {
    if (x.rfind(prefix, 0) == 0) {
      x = kv;
      return;
    }
  }
  env.push_back(kv);
}

// Spawns the gated child and holds it before any reaper of this process may
// run: even a child that dies at once (killed at its gate) is reaped by its
// watch, never unseen.
result<spawned> spawn_held(const spawn_request& req, process_watcher& watcher) {
  process_watcher::spawn_guard no_reaping;
  auto child = spawn_gated(req);
  if (child)
    watcher.hold(child->pid);
  return child;
}

// Docker sets HOME from the user's passwd entry unless the env has one;
// the daemon's own HOME and USER are not the task user's.
void set_user_env(std::vector<std::string>& env, const pb::ContainerSpec& c,
                  const os::resolved_user& u) {
  auto has = [&c](const char* prefix) {
    return std::any_of(c.env().begin(), c.env().end(),
                       [prefix](auto& kv) { return kv.rfind(prefix, 0) == 0; });
  };
  if (!has("HOME="))
    set_env(env, "HOME=" + u.home);
  if (has("USER="))
    return;
  env.erase(std::remove_if(env.begin(), env.end(),
                           [](const std::string& kv) {
                             return kv.rfind("USER=", 0) == 0;
                           }),
            env.end());
  if (!u.name.empty())
    env.push_back("USER=" + u.name);
}

// The spec's --user (resolved on this node) and capability set, and the
// environment that goes with the user. Fails on a user or group this node
// does not have, or a capability name the control rules would refuse.
status set_credentials(const pb::ContainerSpec& c, spawn_request& req) {
  auto caps
    = capability_mask({c.capability_add().begin(), c.capability_add().end()},
                      {c.capability_drop().begin(), c.capability_drop().end()});
  if (!caps)
    return fail(caps.error().code, "task: " + caps.error().message);
  req.creds.caps = *caps;
  if (c.user().empty())
    return ok_status();
  auto spec = parse_user(c.user());
  if (!spec)
    return fail(spec.error().code, "task: " + spec.error().message);
  auto u = os::resolve_user(spec->user, spec->group);
  if (!u)
    return fail(u.error().code, "task: " + u.error().message);
  req.creds.set_user = true;
  req.creds.uid = u->uid;
  req.creds.gid = u->gid;
  req.groups = u->groups;
  set_user_env(req.env, c, *u);
  return ok_status();
}

// The pipe size asked for: a task's output waits here while the daemon is
// down or behind (the kernel may give less to an unprivileged daemon).
constexpr int pipe_size_bytes = 1 << 20;

// The daemon's end of a task's FIFO: read-write, so it never reads EOF
// between writers, and non-blocking for the pump.
int open_pipe(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0)
    ::fcntl(fd, F_SETPIPE_SZ, pipe_size_bytes);
  return fd;
}

// A fresh FIFO for the task's output, opened for the pump. -1 with errno.
int make_pipe(const std::string& path) {
  ::unlink(path.c_str()); // a stale one from an earlier attempt
  if (::mkfifo(path.c_str(), 0600) != 0)
    return -1;
  return open_pipe(path);
}

// Drains the task's output into its log before the exit is reported.
std::function<void(process_exit)>
finishing(std::shared_ptr<output_pump> pump, pid_t pid,
          std::function<void(process_exit)> cb) {
  return [pump = std::move(pump), pid, cb = std::move(cb)](process_exit x) {
    pump->finish(pid);
    cb(x);
  };
}

} // namespace

// -- started_process ----------------------------------------------------------

started_process::started_process(started_process&& other) noexcept
  : handle(other.handle),
    exec_path(std::move(other.exec_path)),
    workdir(std::move(other.workdir)),
    user(std::move(other.user)),
    mounts(std::move(other.mounts)),
    released(other.released),
    exec_outcome(other.exec_outcome),
    exec_error(std::move(other.exec_error)),
    gate_fd_(other.gate_fd_),
    err_fd_(other.err_fd_) {
  other.gate_fd_ = -1;
  other.err_fd_ = -1;
}

started_process& started_process::operator=(started_process&& other) noexcept {
  if (this != &other) {
    close_gate();
    close_err();
    handle = other.handle;
    exec_path = std::move(other.exec_path);
    workdir = std::move(other.workdir);
    user = std::move(other.user);
    mounts = std::move(other.mounts);
    released = other.released;
    exec_outcome = other.exec_outcome;
    exec_error = std::move(other.exec_error);
    gate_fd_ = other.gate_fd_;
    err_fd_ = other.err_fd_;
    other.gate_fd_ = -1;
    other.err_fd_ = -1;
  }
  return *this;
}

started_process::~started_process() {
  close_gate();
  close_err();
}

void started_process::abort_gate() {
  close_gate();
}

void started_process::close_gate() {
  if (gate_fd_ >= 0)
    ::close(gate_fd_);
  gate_fd_ = -1;
}

void started_process::close_err() {
  if (err_fd_ >= 0)
    ::close(err_fd_);
  err_fd_ = -1;
}

// -- free functions -----------------------------------------------------------

bool alive_with_start_time(pid_t pid, uint64_t start_time_ticks) {
  return pid > 0 && start_time_ticks != 0
         && read_start_time(pid) == start_time_ticks;
}

status signal_group(pid_t pgid, int sig) {
  if (pgid <= 1)
    return fail(errc::internal, "task: refusing to signal process group "
                                  + std::to_string(pgid));
  if (::kill(-pgid, sig) != 0 && errno != ESRCH)
    return fail(errc::internal, "task: signal " + std::to_string(sig)
                                  + " to group " + std::to_string(pgid) + ": "
                                  + std::strerror(errno));
  return ok_status();
}

// -- process_executor ---------------------------------------------------------

process_executor::process_executor(process_executor_config cfg,
                                   process_watcher& watcher)
  : cfg_(std::move(cfg)),
    watcher_(watcher),
    logs_(cfg_.tasks_dir, cfg_.logs),
    cgroups_(cfg_.cgroups),
    gate_path_(find_gate_program(cfg_.gate_path)),
    pump_(std::make_shared<output_pump>()) {
  if (cfg_.base_env.empty())
    cfg_.base_env = daemon_env();
  mounts_.volumes_dir = cfg_.volumes_dir;
  if (mounts_.volumes_dir.empty() && !cfg_.data_dir.empty())
    mounts_.volumes_dir = cfg_.data_dir + "/volumes";
  for (const auto& dir : {cfg_.data_dir, cfg_.tasks_dir, mounts_.volumes_dir})
    if (!dir.empty())
      mounts_.protected_dirs.push_back(dir);
}

std::vector<std::string> process_executor::task_env(const pb::Task& t) const {
  auto env = cfg_.base_env;
  for (auto& kv : t.spec().container().env())
    set_env(env, kv);
  set_env(env, "ACTORSWARM_TASK_ID=" + t.id());
  return env;
}

result<std::string> process_executor::prepare(const pb::Task& t) {
  auto& c = t.spec().container();
  if (c.image() != host_image)
    return fail(errc::unsupported_image,
                "task: image \"" + c.image()
                  + "\" is not supported: only the process runtime (image "
                    "\"host\") is available");
  if (c.command().empty() || c.command(0).empty())
    return fail(errc::invalid_spec, "task: no command");
  // Checked before anything is created for the task: a refused mount leaves
  // nothing behind on the host.
  auto plan = plan_mounts(c, mounts_);
  if (!plan)
    return plan.error();
  if (auto st = create_volumes(*plan); !st)
    return st.error();
  if (auto st = logs_.create(t.id()); !st)
    return st.error();
  if (!cfg_.use_cgroups)
    return std::string{};
  auto warning = cgroups_.create(t.id(), t.spec().resources().limits());
  if (warning.empty() || warned_.exchange(true))
    return std::string{};
  return warning;
}

result<started_process> process_executor::start(const pb::Task& t,
                                                const start_options& opts) {
  auto& c = t.spec().container();
  spawn_request req;
  req.env = task_env(t);
  if (auto st = set_credentials(c, req); !st)
    return st.error();
  auto path = resolve_program(c.command().empty() ? "" : c.command(0), req.env);
  if (!path)
    return path.error();
  req.path = std::move(*path);
  req.argv.assign(c.command().begin(), c.command().end());
  // Docker's default for an image without WORKDIR.
  req.workdir = c.dir().empty() ? "/" : c.dir();
  req.log_path = logs_.pipe_path(t.id());
  req.gate_path = gate_path_;
  req.netns_path = opts.netns_path;
  // Planned again: the node's filesystem may have changed since prepare.
  auto plan = plan_mounts(c, mounts_);
  if (!plan)
    return plan.error();
  for (auto& m : *plan)
    req.mounts.push_back({std::move(m.source), std::move(m.target),
                          m.read_only});
  if (!opts.netns_path.empty()) {
    req.hostname = opts.hostname;
    if (!opts.resolv_conf.empty()) {
      req.resolv_conf = logs_.task_dir(t.id()) + "/resolv.conf";
      std::ofstream out(req.resolv_conf, std::ios::trunc);
      out << opts.resolv_conf;
      if (!out.flush())
        return fail(errc::internal, "task: write " + req.resolv_conf);
    }
  }
  int pipe_fd = make_pipe(req.log_path);
  if (pipe_fd < 0)
    return fail(errc::internal, "task: output pipe " + req.log_path + ": "
                                  + std::strerror(errno));
  auto child = spawn_held(req, watcher_);
  if (!child) {
    ::close(pipe_fd);
    return child.error();
  }
  // A pipe still pumped under this pid belongs to an earlier process whose
  // exit was never waited for (its pid is reused now): close it first.
  pump_->finish(child->pid);
  pump_->add(child->pid, pipe_fd,
             std::make_unique<log_writer>(logs_.log_path(t.id()), cfg_.logs));
  process_handle h{child->pid, read_start_time(child->pid), child->pid};
  started_process proc{h, child->gate_fd, child->err_fd};
  proc.exec_path = std::move(req.path);
  proc.workdir = std::move(req.workdir);
  proc.user = c.user();
  for (const auto& m : req.mounts)
    proc.mounts.push_back(m.source + " on " + m.target);
  if (cfg_.use_cgroups) {
    // Joined while the child waits at the gate: the program never runs
    // outside its limits. A failure was already warned about in prepare().
    cgroups_.join(t.id(), child->pid);
  }
  return proc;
}

status process_executor::release(started_process& proc) {
  if (proc.gate_fd() < 0)
    return fail(errc::internal, "task: start gate already used");
  char go = 'x';
  auto n = ::send(proc.gate_fd(), &go, 1, MSG_NOSIGNAL);
  proc.close_gate();
  proc.released = n == 1;
  if (n != 1)
    return fail(errc::internal, "task: process exited before it was started");
  return ok_status();
}

exec_state process_executor::exec_result(started_process& proc,
                                         std::string& reason) {
  auto state = static_cast<exec_state>(proc.exec_outcome);
  if (state != exec_state::unknown || proc.err_fd() < 0) {
    reason = proc.exec_error;
    return state;
  }
  spawn_error_record rec;
  auto n = ::read(proc.err_fd(), &rec, sizeof(rec));
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return exec_state::unknown;
  if (n == static_cast<ssize_t>(sizeof(rec))) {
    state = exec_state::failed;
    proc.exec_error = describe(rec, proc.exec_path, proc.workdir, proc.user,
                               proc.mounts);
  } else if (n == 0 && proc.released) {
    // EOF after the release: the close-on-exec pipe closed at exec.
    state = exec_state::running;
  } else {
    return exec_state::unknown; // EOF before release: the gate was aborted
  }
  proc.close_err();
  proc.exec_outcome = static_cast<uint8_t>(state);
  reason = proc.exec_error;
  return state;
}

bool process_executor::wait(const process_handle& proc, bool is_child,
                            std::function<void(process_exit)> cb) {
  return watcher_.watch(proc.pid, is_child,
                        finishing(pump_, proc.pid, std::move(cb)));
}

bool process_executor::adopt(const process_handle& proc,
                             std::function<void(process_exit)> cb) {
  if (!alive_with_start_time(proc.pid, proc.start_time_ticks))
    return false;
  // The watcher checks the start time again once its pidfd is open.
  return watcher_.watch(proc.pid, false,
                        finishing(pump_, proc.pid, std::move(cb)),
                        proc.start_time_ticks);
}

void process_executor::resume_output(const std::string& task_id,
                                     const process_handle& proc) {
  // A task started before output pipes (or whose directory is gone) has
  // none: nothing to resume.
  int fd = open_pipe(logs_.pipe_path(task_id));
  if (fd < 0)
    return;
  pump_->finish(proc.pid); // a stale pipe under a reused pid (see start)
  pump_->add(proc.pid, fd,
             std::make_unique<log_writer>(logs_.log_path(task_id), cfg_.logs));
}

result<process_handle>
process_executor::probe(const pb::Task& t, const process_handle& proc,
                        const std::vector<std::string>& argv,
                        std::function<void(process_exit)> cb) {
  auto& c = t.spec().container();
  if (argv.empty())
    return fail(errc::invalid_spec, "task: health check: no command");
  spawn_request creds; // for its credentials and the user's env
  creds.env = task_env(t);
  if (auto st = set_credentials(c, creds); !st)
    return st.error();
  probe_request req;
  auto path = resolve_program(argv[0], creds.env);
  if (!path)
    return path.error();
  req.path = std::move(*path);
  req.argv = argv;
  req.env = std::move(creds.env);
  req.workdir = c.dir().empty() ? "/" : c.dir();
  req.creds = creds.creds;
  req.groups = std::move(creds.groups);
  req.ns_pid = proc.pid;
  process_watcher::spawn_guard no_reaping;
  auto pid = spawn_probe(req);
  if (!pid)
    return pid.error();
  watcher_.hold(*pid);
  if (cfg_.use_cgroups)
    cgroups_.join(t.id(), *pid);
  if (!watcher_.watch(*pid, true, std::move(cb))) {
    signal_group(*pid, SIGKILL);
    watcher_.unwatch(*pid);
    return fail(errc::internal, "task: health check: cannot watch it");
  }
  return process_handle{*pid, read_start_time(*pid), *pid};
}

status process_executor::shutdown(const process_handle& proc) {
  return signal_group(proc.pgid, SIGTERM);
}

status process_executor::terminate(const process_handle& proc) {
  return signal_group(proc.pgid, SIGKILL);
}

status process_executor::remove(const std::string& task_id, bool remove_logs) {
  if (cfg_.use_cgroups && !cgroups_.remove(task_id))
    return fail(errc::timeout, "task: cgroup of " + task_id
                                 + " still busy; retry on the next pass");
  if (remove_logs)
    return logs_.remove(task_id);
  return ok_status();
}

} // namespace actorswarm::task
