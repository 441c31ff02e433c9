#pragma once

// The DNS server's insides (net/dns/server.hpp), shared by its parts:
// server.cpp (control, timers, the loop, the public calls), server_query.cpp
// (answers, UDP, forwarding upstream) and server_tcp.cpp (TCP clients).
// Internal to net/dns/.

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "messages/log.hpp"
#include "net/dns/server.hpp"
#include "net/dns/wire.hpp"

namespace actorswarm::dns::detail {

using clock_type = std::chrono::steady_clock;

// epoll tags: the kind in the top byte, an id below.
enum kind : uint64_t {
  k_wake = 1,
  k_udp = 2,
  k_tcp_listen = 3,
  k_tcp_conn = 4,
  k_upstream4 = 5,
  k_upstream6 = 6,
};

inline uint64_t tag(kind k, uint64_t id) {
  return (static_cast<uint64_t>(k) << 56) | id;
}

inline constexpr size_t batch = 32;            // UDP packets per recvmmsg
inline constexpr size_t batches_per_event = 8; // then other fds get their turn
inline constexpr size_t max_addrs = 1024; // A records in one answer, at most
inline constexpr size_t recv_size = 4096; // a UDP query larger than this is cut
inline constexpr size_t max_tcp_pending
  = 64; // forwarded queries per connection

struct zone_slot {
  std::shared_ptr<const zone> z;
  size_t users = 0;
};

struct listener {
  uint64_t id = 0;
  int udp = -1;
  int tcp = -1;
  std::vector<std::string> networks;
  std::vector<zone_slot*> view;
};

struct tcp_conn {
  uint64_t id = 0;
  uint64_t listener = 0;
  int fd = -1;
  std::vector<uint8_t> in;
  std::vector<uint8_t> out;
  size_t out_sent = 0;
  clock_type::time_point last_query;
  size_t pending = 0; // forwarded queries not yet answered
  bool want_write = false;
};

// Where a forwarded query's answer goes.
struct forward {
  bool used = false;
  uint32_t seq = 0; // changes with every attempt: stale timeouts miss
  uint16_t upstream_id = 0;
  uint16_t client_id = 0;
  size_t attempt = 0;
  uint64_t listener = 0;
  uint64_t conn = 0; // 0: the client is UDP, at `client`
  sockaddr_storage client{};
  socklen_t client_len = 0;
  question_key question;
  std::vector<uint8_t> wire; // the query as sent (for the next upstream)
};

struct timeout_entry {
  clock_type::time_point at;
  uint32_t slot;
  uint32_t seq;
};

struct command {
  enum { add, set, remove } op;
  uint64_t id;
  dns_sockets socks;
  std::vector<std::string> networks;
};

} // namespace actorswarm::dns::detail

namespace actorswarm::dns {

using namespace detail;

struct server::impl {
  server_config cfg;
  std::vector<std::string> search; // cfg.search_domains, normalized
  int ep = -1;
  int wake = -1;
  int up4 = -1;
  int up6 = -1;
  std::thread thread;
  std::atomic<bool> stopping{false};

  // -- shared with callers (mu) -------------------------------------------
  std::mutex mu;
  std::condition_variable applied_cv;
  std::deque<command> commands;
  uint64_t commands_queued = 0;
  uint64_t commands_applied = 0;
  uint64_t next_listener = 1;
  std::unordered_map<std::string, std::shared_ptr<const zone>> published;
  std::atomic<uint64_t> zone_gen{0};

  // -- the server thread's own ----------------------------------------------
  uint64_t seen_gen = 0;
  std::unordered_map<std::string, std::unique_ptr<zone_slot>> slots;
  std::unordered_map<uint64_t, listener> listeners;
  std::unordered_map<uint64_t, tcp_conn> conns;
  uint64_t next_conn = 1;
  std::vector<forward> forwards;
  std::vector<uint32_t> free_forwards;
  std::vector<int32_t> by_upstream_id; // 65536 entries: slot or -1
  std::deque<timeout_entry> timeouts;
  std::array<uint16_t, 256> random_ids{};
  size_t random_left = 0;
  clock_type::time_point next_sweep;

  // counters
  std::atomic<uint64_t> n_queries{0}, n_local{0}, n_forwarded{0}, n_upstream{0},
    n_servfail{0}, n_rejected{0}, n_dropped{0}, n_stray{0}, n_tcp_refused{0};

  // UDP batch buffers
  std::array<std::array<uint8_t, recv_size>, batch> rbuf{};
  std::array<std::array<uint8_t, udp_edns_max>, batch> sbuf{};
  std::array<sockaddr_storage, batch> peers{};
  std::array<mmsghdr, batch> rmsg{};
  std::array<iovec, batch> riov{};
  std::array<mmsghdr, batch> smsg{};
  std::array<iovec, batch> siov{};
  std::vector<uint8_t> scratch = std::vector<uint8_t>(2 + max_message);
  std::array<uint32_t, max_addrs> addrs{};

  ~impl() {
    for (auto& [id, c] : conns)
      ::close(c.fd);
    for (auto& [id, l] : listeners) {
      ::close(l.udp);
      ::close(l.tcp);
    }
    for (int fd : {ep, wake, up4, up6})
      if (fd >= 0)
        ::close(fd);
  }

  // -- control ----------------------------------------------------------

  void signal();

  void submit(command c);

  zone_slot* slot_of(const std::string& network);

  void set_view(listener& l, std::vector<std::string> networks);

  void close_listener(listener& l);

  void apply_commands();

  void refresh_zones();

  // -- queries ------------------------------------------------------------

  uint16_t random_id();

  int upstream_fd(const endpoint& e);

  bool send_upstream(uint32_t slot);

  void release_forward(uint32_t slot);

  bool start_forward(const uint8_t* wire, size_t len, const query& q,
                     const listener& l, const sockaddr_storage* peer,
                     socklen_t peer_len, uint64_t conn);

  size_t handle(const uint8_t* wire, size_t len, const listener& l,
                const sockaddr_storage* peer, socklen_t peer_len, uint64_t conn,
                uint8_t* out, size_t cap);

  // -- UDP ------------------------------------------------------------------

  void on_udp(uint64_t id);

  // -- TCP ------------------------------------------------------------------

  void close_conn(uint64_t id);

  void on_accept(uint64_t id);

  bool tcp_send(tcp_conn& c, const uint8_t* data, size_t len);

  bool tcp_flush(tcp_conn& c);

  void on_conn(uint64_t id, uint32_t events);

  // -- upstream answers -------------------------------------------------------

  void deliver(forward& f, uint8_t* wire, size_t len);

  void on_upstream(int fd);

  void servfail(forward& f);

  // -- timers ---------------------------------------------------------------

  void expire(clock_type::time_point now);

  int wait_ms(clock_type::time_point now) const;

  void run();
};

} // namespace actorswarm::dns
