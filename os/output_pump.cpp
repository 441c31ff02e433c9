#include "os/output_pump.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "messages/assert.hpp"

namespace actorswarm::task {

namespace {

/// Upper bound of epoll events handled per wait.
constexpr int events_per_wait_max = 64;

/// The wake eventfd's epoll data: never an entry id (those start at 1).
constexpr uint64_t wake_id = 0;

int64_t wall_now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
    .count();
}

} // namespace

output_pump::output_pump() : buf_(read_size_bytes) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  AS_ASSERT(epoll_fd_ >= 0);
  AS_ASSERT(wake_fd_ >= 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = wake_id;
  AS_ASSERT(::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0);
  thread_ = std::thread([this] { run(); });
}

output_pump::~output_pump() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
  }
  wake();
  thread_.join();
  for (auto& [id, e] : entries_)
    ::close(e.fd);
  entries_.clear();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool output_pump::add(int key, int fd, std::unique_ptr<output_sink> sink) {
  std::lock_guard<std::mutex> guard{mtx_};
  bool taken = std::any_of(entries_.begin(), entries_.end(),
                           [key](const auto& kv) {
                             return kv.second.key == key;
                           });
  uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = id;
  if (taken || stop_ || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    ::close(fd);
    return false;
  }
  entries_.emplace(id, entry{key, fd, std::move(sink)});
  return true;
}

void output_pump::finish(int key) {
  AS_ASSERT(std::this_thread::get_id() != thread_.get_id());
  std::unique_lock<std::mutex> guard{mtx_};
  auto has_key = [this, key] {
    return std::any_of(entries_.begin(), entries_.end(),
                       [key](const auto& kv) { return kv.second.key == key; });
  };
  if (!has_key())
    return;
  finishing_.push_back(key);
  wake();
  // Bounded: the pump thread drains at most reads_on_finish_max reads.
  finished_.wait(guard, [&] { return stop_ || !has_key(); });
}

size_t output_pump::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

uint64_t output_pump::bytes_pumped() const {
  return bytes_pumped_.load();
}

void output_pump::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

bool output_pump::pump(entry& e, int reads_max) {
  for (int i = 0; i < reads_max; ++i) {
    auto n = ::read(e.fd, buf_.data(), buf_.size());
    if (n > 0) {
      e.sink->write(buf_.data(), static_cast<size_t>(n), wall_now_ns());
      bytes_pumped_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    // EAGAIN: drained for now; 0: every writer is gone; else an error.
    return n < 0 && errno == EAGAIN;
  }
  return true;
}

void output_pump::close_entry(uint64_t id) {
  std::unique_ptr<output_sink> sink;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = entries_.find(id);
    if (i == entries_.end())
      return;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, i->second.fd, nullptr);
    ::close(i->second.fd);
    sink = std::move(i->second.sink);
    entries_.erase(i);
  }
  sink.reset(); // closes its files outside the lock
  finished_.notify_all();
}

void output_pump::run() {
  epoll_event events[events_per_wait_max];
  for (;;) {
    std::vector<uint64_t> to_finish;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (stop_)
        break;
      for (int key : finishing_)
        for (auto& [id, e] : entries_)
          if (e.key == key)
            to_finish.push_back(id);
      finishing_.clear();
    }
    for (auto id : to_finish) {
      entry* e = nullptr;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        auto i = entries_.find(id);
        e = i == entries_.end() ? nullptr : &i->second;
      }
      // Only this thread erases entries: `e` stays valid unlocked.
      if (e != nullptr)
        pump(*e, reads_on_finish_max);
      close_entry(id);
    }
    int n = ::epoll_wait(epoll_fd_, events, events_per_wait_max, -1);
    for (int k = 0; k < n; ++k) {
      auto id = events[k].data.u64;
      if (id == wake_id) {
        uint64_t count = 0;
        [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof(count));
        continue;
      }
      entry* e = nullptr;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        auto i = entries_.find(id);
        e = i == entries_.end() ? nullptr : &i->second;
      }
      if (e != nullptr && !pump(*e, reads_per_turn_max))
        close_entry(id);
    }
  }
  finished_.notify_all();
}

} // namespace actorswarm::task
