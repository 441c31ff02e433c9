#pragma once

// A seeded message network for simulations (after tigerbeetle's
// packet_simulator.zig): drops, delays, duplicates and reorders messages and
// partitions peers. Time is an abstract counter owned by the simulator; all
// randomness comes from the generator passed in.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>

namespace actorswarm::test {

/// Fault knobs of a sim_network, randomised per seed by the simulator.
struct sim_network_options {
  /// Probability (0..1) that a message is lost.
  double drop = 0.0;
  /// Probability that a message is delivered twice.
  double duplicate = 0.0;
  /// Delivery delay in time units, uniform in [min_delay, max_delay];
  /// different delays reorder messages.
  uint64_t min_delay = 1;
  uint64_t max_delay = 1;
};

/// One message in flight.
template <class Msg>
struct sim_packet {
  uint64_t from = 0;
  uint64_t to = 0;
  Msg msg;
};

/// Peers are numbered by uint64_t ids. Not thread-safe; deterministic.
template <class Msg>
class sim_network {
public:
  sim_network(std::mt19937_64& rng, sim_network_options opts)
    : rng_(rng), opts_(opts) {
    // nop
  }

  /// Queues `m` from `from` to `to` at time `now` (drop, duplicate, delay).
  void send(uint64_t from, uint64_t to, const Msg& m, uint64_t now) {
    if (!connected(from, to) || chance(opts_.drop))
      return;
    int copies = chance(opts_.duplicate) ? 2 : 1;
    for (int i = 0; i < copies; ++i)
      queue_.emplace(std::make_pair(now + delay(), seq_++),
                     sim_packet<Msg>{from, to, m});
  }

  /// Removes and returns the next packet due at or before `now`; packets
  /// whose link is cut by now are dropped on the way.
  std::optional<sim_packet<Msg>> pop_due(uint64_t now) {
    while (!queue_.empty() && queue_.begin()->first.first <= now) {
      auto p = std::move(queue_.begin()->second);
      queue_.erase(queue_.begin());
      if (connected(p.from, p.to))
        return p;
    }
    return std::nullopt;
  }

  /// Cuts the links between `xs` and everybody else.
  void partition(const std::set<uint64_t>& xs) {
    side_ = xs;
  }

  /// Cuts the links from and to `id` (a crashed peer) and drops its packets.
  void isolate(uint64_t id) {
    isolated_.insert(id);
    for (auto i = queue_.begin(); i != queue_.end();) {
      if (i->second.from == id || i->second.to == id)
        i = queue_.erase(i);
      else
        ++i;
    }
  }

  /// Reconnects `id` after a restart.
  void reconnect(uint64_t id) {
    isolated_.erase(id);
  }

  /// Removes the partition (crashed peers stay isolated).
  void heal() {
    side_.clear();
  }

  bool connected(uint64_t a, uint64_t b) const {
    if (isolated_.count(a) || isolated_.count(b))
      return false;
    return side_.empty() || side_.count(a) == side_.count(b);
  }

  size_t in_flight() const {
    return queue_.size();
  }

  sim_network_options& options() {
    return opts_;
  }

private:
  bool chance(double p) {
    return p > 0 && static_cast<double>(rng_() % 1000000) < p * 1000000;
  }

  uint64_t delay() {
    auto span = opts_.max_delay - opts_.min_delay + 1;
    return opts_.min_delay + rng_() % span;
  }

  std::mt19937_64& rng_;
  sim_network_options opts_;
  std::map<std::pair<uint64_t, uint64_t>, sim_packet<Msg>> queue_;
  uint64_t seq_ = 0;
  std::set<uint64_t> side_;
  std::set<uint64_t> isolated_;
};

} // namespace actorswarm::test
