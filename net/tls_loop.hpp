#pragma once

// The event loop behind net/tls_wire.hpp (internal to net/): one thread,
// epoll (level-triggered) over the listener, an eventfd and every
// connection's socket; commands from other threads queued under a mutex;
// deadlines on the loop's own steady clock as epoll_wait timeouts.
//
// tls_loop.cpp runs the loop, its timers and commands; tls_loop_conns.cpp
// accepts, dials and drives connections (net/tls_conn.hpp) and reports
// their events. Members under "shared" are read by callers' threads.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/tls_conn.hpp"
#include "net/tls_context.hpp"
#include "net/tls_wire.hpp"

namespace actorswarm::net {

/// What a caller's thread asks of the loop.
struct wire_command {
  enum class kind { dial, send, close, revoke };
  kind k;
  conn_id c = 0;
  std::string data;
  dial_options opts;
  std::vector<std::string> ids;
};

class tls_loop {
public:
  using clock = std::chrono::steady_clock;

  tls_loop(wire_events& events, wire_limits limits);
  ~tls_loop(); // after stop(): closes every connection, reports nothing

  /// Sets up epoll, the wakeup and (with `listen_host`) the listener.
  status open(const std::string& listen_host, uint16_t listen_port);

  /// Starts listening (any thread, once): the socket is made on the
  /// caller's thread and added to epoll, which is safe while the loop waits.
  status listen(const std::string& host, uint16_t port);

  /// Starts the loop thread.
  void start();

  /// Stops the loop thread and waits for it.
  void stop();

  /// Queues `cmd` for the loop thread and wakes it (once per batch).
  void post(wire_command cmd);

  // -- shared with callers --------------------------------------------------

  mutable std::mutex mu;
  /// The credentials for new connections (null for a joiner before its
  /// certificate), under mu.
  std::shared_ptr<const tls_identity> identity;
  /// Pinned roots of pinned dials that came up, under mu.
  std::unordered_map<conn_id, std::string> roots;
  std::atomic<conn_id> next_id{1};
  std::atomic<size_t> open_count{0};
  std::atomic<size_t> unauth{0};
  std::atomic<uint64_t> refused{0};
  /// The listening socket (-1 before listen) and its port; set once, before
  /// the loop can see the socket.
  std::atomic<int> lfd{-1};
  std::atomic<uint16_t> port{0};

private:
  using timer = std::pair<clock::time_point, conn_id>;

  // -- the loop (tls_loop.cpp) ----------------------------------------------

  void run();
  void dispatch(uint64_t key);
  int next_timeout_ms();
  bool live_timer(const timer& t);
  void set_deadline(tls_conn& c, clock::time_point at);
  void watch(tls_conn& c, uint32_t interest);
  void run_again();
  void expire_timers();
  bool run_commands();
  void run_command(wire_command& cmd);
  void close_on_request(conn_id id);
  void revoke(std::vector<std::string> ids);
  std::shared_ptr<const tls_identity> current_identity();

  // -- connections (tls_loop_conns.cpp) -------------------------------------

  void accept_some();
  void accept_one(int fd);
  void dial(wire_command& cmd);
  void connected(tls_conn& c);
  void service(conn_id id);
  void advance(tls_conn& c);
  bool came_up(tls_conn& c);
  void finish(tls_conn& c, const std::string& reason, bool refuse);
  void close_now(tls_conn& c, const std::string& reason);
  void expire(tls_conn& c);

  // -- state ----------------------------------------------------------------

  // Under mu.
  std::vector<wire_command> cmds_;
  bool wake_pending_ = false;
  bool stop_ = false;

  // Loop thread only.
  wire_events& events_;
  wire_limits limits_;
  int ep_ = -1;
  int wake_ = -1;
  ssl_ctx_ptr pinned_ctx_;
  std::unordered_map<conn_id, std::unique_ptr<tls_conn>> conns_;
  std::unordered_set<std::string> revoked_;
  std::priority_queue<timer, std::vector<timer>, std::greater<timer>> timers_;
  std::vector<conn_id> again_;
  clock::time_point listen_resume_ = clock::time_point::max();
  std::thread thread_;
};

} // namespace actorswarm::net
