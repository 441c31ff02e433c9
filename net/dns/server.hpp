#pragma once

// The embedded DNS server: one epoll thread in the daemon's namespace that
// serves every task's DNS sockets (created inside the tasks' namespaces,
// net/dns/sockets.hpp), answers the names of the asker's networks from their
// zones (actors/dns/zone.hpp) and forwards every other name to the node's
// upstream resolvers.
//
// Listeners: a task's UDP + TCP socket pair, with the ids of the networks
// the task is on (its view, searched in order). Zones: one per network,
// published whole as shared_ptr<const zone>; a query that starts after
// publish() returned sees the new zone (the server thread picks up a new
// generation before each batch of packets), and the query path takes no
// lock while no zone changes.
//
// Forwarding (names not in the asker's zones, or an unparseable name): the
// query is sent over UDP from the daemon's namespace to the first upstream
// with a fresh random id (getrandom: an off-path attacker cannot guess it);
// an answer is taken only from the upstream it was sent to, with the id and
// question (case-insensitive) it was sent with, parsed by libknot, and goes
// back to the client under the client's id. After `upstream_timeout` the
// next upstream is tried; when none answered, or none is configured, or
// `max_outstanding` queries are already out, the client gets SERVFAIL.
//
// TCP (RFC 7766): 2-byte length prefix, several queries per connection,
// answered in order of completion; at most `max_tcp_connections` at once
// (more are accepted and closed at once), closed after `tcp_idle_timeout`
// without a query, or when a peer does not read its answers
// (`tcp_max_buffered` bytes queued).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/dns/zone.hpp"
#include "actors/dns/zone_sink.hpp"
#include "messages/result.hpp"
#include "net/dns/sockets.hpp"

namespace actorswarm::dns {

struct server_config {
  /// Upstream resolvers, tried in order (read_resolv_conf() or the
  /// daemon's `--dns-upstream IP:PORT` list).
  std::vector<endpoint> upstreams;
  /// How long one upstream gets to answer before the next is tried.
  std::chrono::milliseconds upstream_timeout{2000};
  /// Forwarded queries waiting for an answer, at most.
  size_t max_outstanding = 1024;
  /// TCP connections open at once, at most (all listeners together).
  size_t max_tcp_connections = 256;
  /// A TCP connection with no query for this long is closed.
  std::chrono::milliseconds tcp_idle_timeout{10000};
  /// Answer bytes queued for a TCP peer that does not read, at most.
  size_t tcp_max_buffered = 256 * 1024;
  /// Search domains the tasks' resolv.conf lists (the host's): a name not
  /// in the asker's zones that ends in one of them is looked up again
  /// without it ("app.example.com" -> "app"), as Docker's resolver strips
  /// them, so a stub resolver's search-list attempt is answered here
  /// instead of going upstream first. Any case, trailing dot or not.
  std::vector<std::string> search_domains;
};

/// Counters since start (read while running; relaxed).
struct server_stats {
  uint64_t queries = 0;          ///< packets/messages received from clients
  uint64_t local_answers = 0;    ///< answered from a zone
  uint64_t forwarded = 0;        ///< sent to an upstream (first attempts)
  uint64_t upstream_answers = 0; ///< upstream answers relayed to clients
  uint64_t servfail = 0;         ///< SERVFAIL sent (no upstream answered)
  uint64_t rejected = 0;         ///< FORMERR, NOTIMP or REFUSED sent
  uint64_t dropped = 0;          ///< no answer (not a query, too short)
  uint64_t stray_answers = 0;    ///< upstream packets matching nothing
  uint64_t tcp_refused = 0;      ///< TCP connections closed at the limit
};

class server : public zone_sink {
public:
  /// Starts the server thread. Fails when epoll, the wake-up eventfd or an
  /// upstream socket cannot be created.
  static result<std::unique_ptr<server>> start(server_config cfg);

  /// Stops the thread and closes every socket it holds.
  ~server() override;

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Serves `socks` (taken over: the server closes them) for an asker on
  /// `networks` (network ids, searched in order). Returns the listener's id
  /// once the server thread serves it.
  uint64_t add_listener(dns_sockets socks, std::vector<std::string> networks);

  /// Changes the networks a listener's asker is on (network attach/detach).
  void set_networks(uint64_t listener, std::vector<std::string> networks);

  /// Stops serving a listener and closes its sockets and TCP connections;
  /// returns once they are closed. Unknown ids are ignored.
  void remove_listener(uint64_t listener);

  /// Publishes a network's zone (filed under z->network_id()), replacing
  /// the one before unless that one has a newer version.
  void publish(std::shared_ptr<const zone> z) override;

  /// Removes a network's zone: its names are forwarded from then on.
  void withdraw(const std::string& network_id) override;

  /// The counters so far.
  server_stats stats() const;

  struct impl;

private:
  explicit server(std::unique_ptr<impl> x);
  std::unique_ptr<impl> impl_;
};

} // namespace actorswarm::dns
