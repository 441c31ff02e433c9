#include "os/process_watcher.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include "messages/assert.hpp"

#ifndef P_PIDFD
#  define P_PIDFD 3
#endif
#ifndef SYS_pidfd_open
#  define SYS_pidfd_open 434
#endif

namespace actorswarm::task {

namespace {

/// Upper bound of zombies reaped per turn, so one turn stays short.
constexpr int reap_per_turn_max = 256;
/// Upper bound of epoll events handled per wait.
constexpr int events_per_wait_max = 64;

process_exit from_siginfo(const siginfo_t& si) {
  process_exit x;
  if (si.si_code == CLD_EXITED) {
    x.exit_code = si.si_status;
  } else {
    x.signal = si.si_status;
    x.exit_code = 128 + si.si_status;
  }
  return x;
}

// The children of every thread of this process, from
// /proc/self/task/*/children (zombies included: they stay on the list until
// reaped).
std::vector<pid_t> list_children() {
  std::vector<pid_t> out;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr)
    return out;
  for (auto* ent = readdir(dir); ent != nullptr; ent = readdir(dir)) {
    if (ent->d_name[0] == '.')
      continue;
    std::ifstream in(std::string("/proc/self/task/") + ent->d_name
                     + "/children");
    for (long pid = 0; in >> pid;)
      out.push_back(static_cast<pid_t>(pid));
  }
  closedir(dir);
  return out;
}

// The children some watcher of this process holds or watches (with the
// number of holders), and the spawns under way: reaping is process-wide, so
// every watcher's reaper consults this one registry.
struct child_claims {
  std::mutex mtx;
  std::unordered_map<pid_t, int> claimed;
  int spawning = 0;
};

// Never destroyed: a watcher in static storage may outlive function statics.
child_claims& claims() {
  static auto* x = new child_claims;
  return *x;
}

void claim(pid_t pid) {
  auto& c = claims();
  std::lock_guard<std::mutex> guard{c.mtx};
  ++c.claimed[pid];
}

void release(pid_t pid) {
  auto& c = claims();
  std::lock_guard<std::mutex> guard{c.mtx};
  if (auto i = c.claimed.find(pid); i != c.claimed.end() && --i->second <= 0)
    c.claimed.erase(i);
}

} // namespace

process_watcher::spawn_guard::spawn_guard() {
  auto& c = claims();
  std::lock_guard<std::mutex> guard{c.mtx};
  ++c.spawning;
}

process_watcher::spawn_guard::~spawn_guard() {
  auto& c = claims();
  std::lock_guard<std::mutex> guard{c.mtx};
  --c.spawning;
}

uint64_t read_start_time(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  std::ifstream in(path);
  std::string text;
  if (!std::getline(in, text))
    return 0;
  // Field 2 (comm) may hold spaces and parentheses: parse after the last ')'.
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos)
    return 0;
  std::istringstream rest(text.substr(close_paren + 1));
  std::string state;
  rest >> state; // field 3
  if (state.empty() || state[0] == 'Z' || state[0] == 'X')
    return 0;
  std::string skip;
  for (int field = 4; field < 22 && rest >> skip; ++field) {
    // skip fields 4..21
  }
  uint64_t ticks = 0;
  if (!(rest >> ticks))
    return 0;
  return ticks;
}

int open_pidfd(pid_t pid) {
  // pidfd_open(2) fds are always close-on-exec.
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

process_watcher::process_watcher(int poll_timeout_ms, bool reap_unwatched)
  : poll_timeout_ms_(poll_timeout_ms), reap_unwatched_(reap_unwatched) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    AS_FAIL_STOP("process_watcher: epoll/eventfd failed");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0; // pid 0 never names a process: it is the wake-up fd
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0)
    AS_FAIL_STOP("process_watcher: epoll_ctl failed");
  thread_ = std::thread([this] { run(); });
}

process_watcher::~process_watcher() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
  }
  wake();
  thread_.join();
  for (auto& kvp : entries_) {
    close(kvp.second.pidfd);
    release(kvp.first);
  }
  for (auto pid : held_)
    release(pid);
  close(wake_fd_);
  close(epoll_fd_);
}

void process_watcher::hold(pid_t pid) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (pid > 0 && entries_.count(pid) == 0 && held_.insert(pid).second)
    claim(pid);
}

bool process_watcher::watch(pid_t pid, bool is_child, callback cb,
                            uint64_t start_time_ticks) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (pid <= 0 || entries_.count(pid) > 0)
    return false;
  entry e{open_pidfd(pid), is_child, std::move(cb)};
  // Checked after pidfd_open: if the pid still has the expected start time
  // now, the pidfd (opened earlier) refers to that same process.
  if (e.pidfd >= 0 && start_time_ticks != 0
      && read_start_time(pid) != start_time_ticks) {
    close(e.pidfd);
    e.pidfd = -1;
    e.is_child = false;
    errno = ESRCH;
  }
  if (e.pidfd < 0) {
    if (errno != ESRCH)
      return false;
    // Already gone (and reaped): report on the watcher thread.
    if (held_.erase(pid) > 0)
      release(pid);
    gone_.emplace_back(pid, std::move(e));
    wake();
    return true;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<uint64_t>(pid);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, e.pidfd, &ev) != 0) {
    close(e.pidfd);
    return false;
  }
  // A held child's claim passes to the watch.
  if (held_.erase(pid) == 0)
    claim(pid);
  entries_.emplace(pid, std::move(e));
  return true;
}

void process_watcher::unwatch(pid_t pid) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (held_.erase(pid) > 0)
    release(pid);
  if (auto i = entries_.find(pid); i != entries_.end()) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, i->second.pidfd, nullptr);
    close(i->second.pidfd);
    entries_.erase(i);
    release(pid);
  }
  for (auto i = gone_.begin(); i != gone_.end(); ++i) {
    if (i->first == pid) {
      gone_.erase(i);
      break;
    }
  }
  if (std::this_thread::get_id() == thread_.get_id())
    return;
  cb_done_.wait(guard, [&] { return running_cb_ != pid; });
}

size_t process_watcher::watched() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size() + gone_.size();
}

void process_watcher::wake() {
  uint64_t one = 1;
  // A full counter already means "wake up"; nothing to do on failure.
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof(one));
}

void process_watcher::run() {
  epoll_event events[events_per_wait_max];
  for (;;) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (stop_)
        return;
    }
    int n = epoll_wait(epoll_fd_, events, events_per_wait_max,
                       poll_timeout_ms_);
    for (int i = 0; i < n; ++i) {
      auto pid = static_cast<pid_t>(events[i].data.u64);
      if (pid == 0) {
        uint64_t count = 0;
        [[maybe_unused]] auto r = read(wake_fd_, &count, sizeof(count));
        continue;
      }
      on_ready(pid);
    }
    fire_unwatchable();
    if (reap_unwatched_)
      reap_unwatched();
  }
}

void process_watcher::on_ready(pid_t pid) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (stop_)
    return;
  auto i = entries_.find(pid);
  if (i == entries_.end())
    return; // unwatched meanwhile
  // Unknown unless a child's status is reaped here: a process that is not
  // our child shows only its end, a child reaped elsewhere (ECHILD) none.
  auto info = process_exit::unknown();
  if (i->second.is_child) {
    siginfo_t si{};
    if (waitid(static_cast<idtype_t>(P_PIDFD), i->second.pidfd, &si,
               WEXITED | WNOHANG)
        == 0) {
      if (si.si_pid == 0)
        return; // not exited yet: spurious wake-up
      info = from_siginfo(si);
    }
  }
  auto cb = std::move(i->second.cb);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, i->second.pidfd, nullptr);
  close(i->second.pidfd);
  entries_.erase(i);
  release(pid);
  running_cb_ = pid;
  guard.unlock();
  cb(info);
  guard.lock();
  running_cb_ = 0;
  cb_done_.notify_all();
}

void process_watcher::fire_unwatchable() {
  std::unique_lock<std::mutex> guard{mtx_};
  for (int i = 0; i < reap_per_turn_max && !gone_.empty() && !stop_; ++i) {
    auto [pid, e] = std::move(gone_.back());
    gone_.pop_back();
    auto info = process_exit::unknown();
    running_cb_ = pid;
    guard.unlock();
    e.cb(info);
    guard.lock();
    running_cb_ = 0;
    cb_done_.notify_all();
  }
}

void process_watcher::reap_unwatched() {
  // Cheap common case first: peek at one zombie without reaping it.
  auto& c = claims();
  std::lock_guard<std::mutex> guard{c.mtx};
  if (c.spawning > 0)
    return; // a child may not be held yet; reap on a later turn
  bool scan = false;
  for (int i = 0; i < reap_per_turn_max; ++i) {
    siginfo_t si{};
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0
        || si.si_pid == 0)
      return; // no child has exited
    auto pid = si.si_pid;
    if (c.claimed.count(pid) > 0) {
      // A watched or held zombie sits first; look past it below.
      scan = true;
      break;
    }
    waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG);
  }
  if (!scan)
    return;
  auto children = list_children();
  for (size_t i = 0; i < children.size() && i < 4096; ++i) {
    auto pid = children[i];
    if (c.claimed.count(pid) > 0)
      continue;
    siginfo_t si{};
    waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG);
  }
}

} // namespace actorswarm::task
