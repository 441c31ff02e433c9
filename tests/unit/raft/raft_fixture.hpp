#pragma once

// Test helpers for the raft core: a node over a memory_log that persists and
// applies readies, and a small synchronous cluster that delivers messages in
// order (etcd's raft_test.go `network`). The randomised simulator lives in
// tests/support/sim_network.hpp.

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actors/raft/conf_change.hpp"
#include "actors/raft/memory_log.hpp"
#include "actors/raft/raft_core.hpp"

namespace actorswarm::raft::test {

inline pb::Member member(uint64_t id) {
  pb::Member m;
  m.set_raft_id(id);
  m.set_node_id("node" + std::to_string(id));
  m.set_addr("127.0.0." + std::to_string(id) + ":2377");
  return m;
}

inline pb::ConfChange conf_change(pb::ConfChange::Type t, uint64_t id) {
  pb::ConfChange cc;
  cc.set_type(t);
  *cc.mutable_member() = member(id);
  return cc;
}

/// Writes the bootstrap entries of voters `ids` into `log`.
inline void bootstrap(memory_log& log, const std::vector<uint64_t>& ids) {
  std::vector<pb::Member> ms;
  for (auto id : ids)
    ms.push_back(member(id));
  log.append(bootstrap_entries(ms));
  log.set_hard_state(bootstrap_hard_state(ms.size()));
}

inline raft_config config(uint64_t id) {
  raft_config cfg;
  cfg.id = id;
  return cfg;
}

/// One peer: its durable log, its core and what it applied.
struct test_node {
  memory_log log;
  std::unique_ptr<raft_core> core;
  std::vector<pb::Entry> applied;
  std::vector<read_state> reads;
  std::vector<pb::RaftMessage> outbox;

  test_node(const raft_config& cfg, const std::vector<uint64_t>& voters,
            uint64_t seed = 1) {
    if (!voters.empty())
      bootstrap(log, voters);
    core = std::make_unique<raft_core>(cfg, log, seed);
    flush();
  }

  /// Persists, "sends" (into outbox) and applies every ready.
  void flush() {
    for (int i = 0; i < 100 && core->has_ready(); ++i) {
      auto rd = core->ready();
      if (rd.snapshot)
        log.apply_snapshot(*rd.snapshot);
      log.append(rd.entries);
      if (rd.hard_state)
        log.set_hard_state(*rd.hard_state);
      for (auto& m : rd.messages)
        outbox.push_back(m);
      for (auto& e : rd.committed_entries)
        applied.push_back(e);
      for (auto& r : rd.read_states)
        reads.push_back(r);
      core->advance(rd);
    }
  }

  /// Messages sent since the last call.
  std::vector<pb::RaftMessage> take() {
    flush();
    auto xs = std::move(outbox);
    outbox.clear();
    return xs;
  }

  void step(const pb::RaftMessage& m) {
    core->step(m);
    flush();
  }

  void tick(int n = 1) {
    for (int i = 0; i < n; ++i) {
      core->tick();
      flush();
    }
  }

  /// Data of the applied NORMAL entries that carry data.
  std::vector<std::string> applied_data() const {
    std::vector<std::string> out;
    for (auto& e : applied)
      if (e.type() == pb::Entry::NORMAL && !e.data().empty())
        out.push_back(e.data());
    return out;
  }
};

/// Peers 1..n delivering messages synchronously, with cut links.
struct test_cluster {
  std::map<uint64_t, std::unique_ptr<test_node>> nodes;
  std::set<std::pair<uint64_t, uint64_t>> cut;
  std::set<uint64_t> down;

  explicit test_cluster(size_t n, raft_config base = raft_config{}) {
    std::vector<uint64_t> ids;
    for (uint64_t id = 1; id <= n; ++id)
      ids.push_back(id);
    for (auto id : ids) {
      auto cfg = base;
      cfg.id = id;
      nodes.emplace(id, std::make_unique<test_node>(cfg, ids, id));
    }
  }

  test_node& operator[](uint64_t id) {
    return *nodes.at(id);
  }

  void isolate(uint64_t id) {
    for (auto& [other, n] : nodes) {
      cut.emplace(id, other);
      cut.emplace(other, id);
    }
  }

  void heal() {
    cut.clear();
  }

  /// Delivers messages until quiet (bounded).
  void stabilize() {
    for (int round = 0; round < 10000; ++round) {
      std::vector<pb::RaftMessage> xs;
      for (auto& [id, n] : nodes)
        for (auto& m : n->take())
          xs.push_back(m);
      if (xs.empty())
        return;
      for (auto& m : xs) {
        if (cut.count({m.from(), m.to()}) || down.count(m.to())
            || down.count(m.from()) || nodes.count(m.to()) == 0)
          continue;
        nodes.at(m.to())->step(m);
      }
    }
  }

  /// Elects `id` by making it campaign.
  void elect(uint64_t id) {
    nodes.at(id)->core->campaign_now();
    stabilize();
  }

  /// Ticks every live node `n` times, stabilizing after each tick.
  void tick_all(int n) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, node] : nodes)
        if (!down.count(id))
          node->tick();
      stabilize();
    }
  }

  uint64_t leader() const {
    uint64_t out = 0;
    for (auto& [id, n] : nodes)
      if (!down.count(id) && n->core->state() == role::leader)
        out = (out == 0 || n->core->term() > nodes.at(out)->core->term()) ? id
                                                                          : out;
    return out;
  }
};

} // namespace actorswarm::raft::test
