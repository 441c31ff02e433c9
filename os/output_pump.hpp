#pragma once

// Drains task output pipes into sinks (issue #9, defect 6). A task's stdout
// and stderr are a pipe (a FIFO in its task directory), not a file: ONE
// background thread here reads every task's pipe with epoll and hands the
// bytes to the task's sink (task::log_writer: size-capped files, rotated by
// renaming). So the cap holds as output is written, and a task that writes
// faster than the disk takes it blocks on its full pipe (back-pressure, as
// with Docker's json-file driver) instead of filling the disk.
//
// It lives in os/, not actors/, because it owns a thread (DESIGN.md, Time: no
// threads in actors/); it knows no CAF and no networking. Sinks run on the
// pump thread only; a sink that blocks (a slow disk) stalls every task's
// output, not the daemon's actors.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace actorswarm::task {

/// Where one pipe's bytes go. Called on the pump thread only, one call at a
/// time; destroyed on the pump thread (finish) or in ~output_pump.
class output_sink {
public:
  virtual ~output_sink() = default;

  /// Takes `n` bytes (n > 0) read at wall time `now_ns`. May block on the
  /// disk; must not throw. Errors are the sink's to count and report.
  virtual void write(const char* data, size_t n, int64_t now_ns) = 0;
};

/// The pump. Thread-safe: any thread may add() and finish(), except the
/// pump thread itself (a sink must not call finish()).
class output_pump {
public:
  /// Bytes read per read(2) call.
  static constexpr size_t read_size_bytes = 64 * 1024;
  /// Reads of one pipe per turn, so one busy task cannot starve the others.
  static constexpr int reads_per_turn_max = 16;
  /// Reads of one pipe when it is finished: bounded, because an orphaned
  /// grandchild of the task may still be writing into it.
  static constexpr int reads_on_finish_max = 256;

  /// Starts the pump thread.
  output_pump();

  /// Stops and joins the thread and closes every pipe (a task that outlives
  /// the daemon keeps its own read end: its output waits in the pipe for the
  /// next daemon, and the task blocks once the pipe is full).
  ~output_pump();

  output_pump(const output_pump&) = delete;
  output_pump& operator=(const output_pump&) = delete;

  /// Pumps `fd` (a non-blocking read end; the pump owns and closes it) into
  /// `sink`, under `key` (the task's pid). Returns false (and closes `fd`)
  /// if `key` is already pumped or epoll refuses the fd.
  bool add(int key, int fd, std::unique_ptr<output_sink> sink);

  /// Drains what `key`'s pipe holds (at most reads_on_finish_max reads),
  /// then closes it and destroys its sink. Returns when that is done, so the
  /// bytes the task wrote before it exited are in the sink. No-op for an
  /// unknown key.
  void finish(int key);

  /// Number of pipes pumped.
  size_t size() const;

  /// Total bytes handed to sinks since construction.
  uint64_t bytes_pumped() const;

private:
  // -- member types -----------------------------------------------------------

  struct entry {
    int key = 0;
    int fd = -1;
    std::unique_ptr<output_sink> sink;
  };

  // -- thread -----------------------------------------------------------------

  void run();
  /// Reads up to `reads_max` times from `e`; false on EOF or a read error.
  bool pump(entry& e, int reads_max);
  void close_entry(uint64_t id);
  void wake();

  // -- member variables -------------------------------------------------------

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  mutable std::mutex mtx_;
  std::condition_variable finished_;
  /// Keyed by an id that is never reused (epoll's data), not by the pid.
  std::unordered_map<uint64_t, entry> entries_;
  uint64_t next_id_ = 1;
  /// Keys whose finish() waits for the pump thread.
  std::vector<int> finishing_;
  std::atomic<uint64_t> bytes_pumped_{0};
  bool stop_ = false;
  std::vector<char> buf_;
  std::thread thread_;
};

} // namespace actorswarm::task
