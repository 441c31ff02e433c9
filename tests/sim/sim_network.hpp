#pragma once

// The simulated network (docs/simulation.md, "The network"): envelopes in
// flight between the simulated managers, with seeded drops, duplicates,
// delays and cut links, and the sim transport actor that stands in for
// net::cluster_transport on each node (the envelope layer, above TLS).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "net/cluster_transport_interface.hpp"
#include "sim/linearizability.hpp"

namespace actorswarm::sim::detail {

// One envelope in flight: a RaftMessage, or a request (PROPOSE) and its
// reply.
struct packet {
  enum class kind : uint8_t { raft, request, reply } what = kind::raft;
  uint64_t from = 0;
  uint64_t to = 0;
  pb::RaftMessage msg;
  uint64_t call = 0;
  /// Requests: the requester's incarnation; replies go back to it only (a
  /// reply belongs to its connection, which a restart closed).
  uint64_t incarnation = 0;
  int32_t rpc = 0;
  bool ok = false;
  std::string payload;
};

struct net_options {
  double drop = 0;
  double duplicate = 0;
  sim_time min_delay = 1;
  sim_time max_delay = 5;
  double long_delay = 0; // probability of a delay up to long_delay_max
  sim_time long_delay_max = 3000;
};

class sim_net {
public:
  explicit sim_net(uint64_t seed) : rng_(seed) {
    // nop
  }

  net_options opts;
  bool faults = true;

  void send(sim_time now, packet p);

  std::optional<sim_time> next_due() const {
    if (queue_.empty())
      return std::nullopt;
    return queue_.begin()->first.first;
  }

  std::optional<packet> pop_due(sim_time now);

  void partition(const std::vector<uint64_t>& side, size_t n);

  void one_way(uint64_t from, uint64_t to) {
    blocked_.emplace(from, to);
  }

  void heal() {
    blocked_.clear();
  }

  bool cut(uint64_t from, uint64_t to) const {
    return blocked_.count({from, to}) > 0;
  }

  size_t sent() const {
    return sent_;
  }

private:
  bool chance(double p) {
    return p > 0 && static_cast<double>(rng_() % 1000000) < p * 1000000;
  }

  std::mt19937_64 rng_;
  std::multimap<std::pair<sim_time, uint64_t>, packet> queue_;
  uint64_t seq_ = 0;
  std::set<std::pair<uint64_t, uint64_t>> blocked_;
  size_t sent_ = 0;
};

class simulation;

struct transport_state {
  std::map<int32_t, net::cluster_server_actor_type> servers;
  net::cluster_raft_actor_type raft;
  std::map<uint64_t, caf::typed_response_promise<std::string>> calls;
  uint64_t next_call = 0;
  static inline const char* name = "sim_transport";
};

using transport_actor = caf::stateful_actor<transport_state>;

/// Node `id`'s transport (incarnation `incarnation`): the part of
/// cluster_transport_actor_type the store and raft peer use, over `sim`'s
/// network. Nothing leaves it once `*alive` is false.
caf::behavior sim_transport(transport_actor* self, simulation* sim, uint64_t id,
                            uint64_t incarnation, std::shared_ptr<bool> alive);

} // namespace actorswarm::sim::detail
