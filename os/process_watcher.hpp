#pragma once

// Watches task processes for their exit (DESIGN.md, Task runtimes). It lives
// in os/, not actors/, because it owns a thread (DESIGN.md, Time: no threads
// in actors/); it knows no CAF and no networking, and builds with the task
// component. ONE
// background thread, epoll over pidfds, so 1,000 tasks cost 1,000 fds and
// one thread. A watched child is reaped with waitid() and reports its exit
// code or signal; a process adopted after a daemon restart is no longer our
// child, so only its end is seen (process_exit::known == false). The watcher
// also reaps exited children nobody watches or holds, so a child whose gate
// never opened leaves no zombie. Callbacks run on the watcher thread: keep
// them short (the task actor glue turns them into messages).
//
// Reaping is process-wide (waitid(P_ALL) takes any child of any thread), so
// what may be reaped is decided process-wide too: a child that any watcher
// of this process holds or watches is never taken by another watcher's
// reaper (two agents in one embedding process, or an agent restarted while
// the old one's watcher still runs), and no reaper runs while a spawn_guard
// lives, so a child cannot be reaped between its fork and its hold().

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/task/process_exit.hpp"

namespace actorswarm::task {

/// Opens a pidfd for `pid` (pidfd_open(2)); -1 with errno on failure. The fd
/// is close-on-exec. Exposed for callers that want to signal through a pidfd.
int open_pidfd(pid_t pid);

/// The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field
/// 22), or 0 if there is no such process or it is a zombie (a zombie counts
/// as dead). Together with the pid it names one process for ever: a reused
/// pid has a later start time.
uint64_t read_start_time(pid_t pid);

/// The exit watcher. Thread-safe: any thread may watch or unwatch.
class process_watcher {
public:
  // -- member types -----------------------------------------------------------

  using callback = std::function<void(process_exit)>;

  /// While one lives, no watcher of this process reaps an unwatched child:
  /// construct it before fork()/posix_spawn(), hold() the child, then let it
  /// go. Without it a child that dies at once (killed, or a failed exec of
  /// the gate program) could be reaped before hold(), and its later watch()
  /// would report an unknown end, or watch another process if the pid was
  /// reused meanwhile.
  class spawn_guard {
  public:
    spawn_guard();
    ~spawn_guard();
    spawn_guard(const spawn_guard&) = delete;
    spawn_guard& operator=(const spawn_guard&) = delete;
  };

  // -- constructors, destructors ----------------------------------------------

  /// Starts the watcher thread. `poll_timeout_ms` bounds each epoll wait, so
  /// unwatched zombies are reaped at least that often. `reap_unwatched`:
  /// reap exited children that are neither watched nor held (the daemon's
  /// only forker is the process executor; other code that forks children and
  /// waits for them itself must hold() them or pass false here).
  explicit process_watcher(int poll_timeout_ms = 100,
                           bool reap_unwatched = true);

  /// Stops and joins the thread; pending callbacks do not run, and the pids
  /// it held or watched may be reaped by other watchers from then on.
  ~process_watcher();

  process_watcher(const process_watcher&) = delete;
  process_watcher& operator=(const process_watcher&) = delete;

  // -- watching ---------------------------------------------------------------

  /// Marks child `pid` as ours before it is watched, so no reaper of this
  /// process takes its exit status (call right after fork, inside a
  /// spawn_guard). watch() or unwatch() ends the hold.
  void hold(pid_t pid);

  /// Calls `cb` exactly once, on the watcher thread, when `pid` ends (unless
  /// unwatch(pid) comes first). `is_child`: reap it and report code/signal;
  /// otherwise report known=false. A pid that no longer exists reports at
  /// once (known=false unless it is a reapable child). Returns false only if
  /// `pid` is already watched or the watcher is out of fds (nothing happens).
  /// `start_time_ticks` != 0 (adoption): after the pidfd is open, the pid
  /// must still have that start time, else it is a reused pid and reports
  /// known=false as a gone process.
  bool watch(pid_t pid, bool is_child, callback cb,
             uint64_t start_time_ticks = 0);

  /// Forgets `pid`; its callback does not run after this returns (unless
  /// called from that very callback). An unwatched child is still reaped.
  void unwatch(pid_t pid);

  /// Number of watched pids.
  size_t watched() const;

private:
  // -- member types -----------------------------------------------------------

  struct entry {
    int pidfd = -1;
    bool is_child = false;
    callback cb;
  };

  // -- thread -----------------------------------------------------------------

  void run();
  void on_ready(pid_t pid);
  void fire_unwatchable();
  void reap_unwatched();
  void wake();

  // -- member variables -------------------------------------------------------

  int poll_timeout_ms_;
  bool reap_unwatched_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  mutable std::mutex mtx_;
  std::condition_variable cb_done_;
  std::unordered_map<pid_t, entry> entries_;
  std::unordered_set<pid_t> held_;
  /// Watches whose pidfd could not be opened (process gone): fired by the
  /// thread on its next turn, so callbacks always run on the watcher thread.
  std::vector<std::pair<pid_t, entry>> gone_;
  pid_t running_cb_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace actorswarm::task
