#include "unit/raft/raft_sim.hpp"

#include <map>

#include "unit/raft/raft_fixture.hpp"

namespace actorswarm::raft::test {

using actorswarm::test::mix64;

struct raft_sim::node {
  uint64_t id = 0;
  memory_log log;
  /// Written without sync: lost if we crash before the next synced write.
  std::optional<pb::HardState> unsynced_hs;
  std::unique_ptr<raft_core> core;
  bool up = true;
  uint64_t restart_at = 0;
  uint64_t incarnation = 0;
  uint64_t phase = 0;
  uint64_t leader_term = 0;
  uint64_t applied = 0;
  uint64_t state = 0;
  std::map<std::string, uint64_t> reads;
  /// Read ids as the raft actor makes them: "<incarnation>.<n>", n counting
  /// from 1 again at every restart.
  std::string read_prefix;
  uint64_t read_seq = 0;
};

sim_config sim_config::random(uint64_t seed, size_t nodes) {
  std::mt19937_64 r{mix64(seed ^ 0x5eed)};
  auto uni = [&r](uint64_t lo, uint64_t hi) {
    return lo + r() % (hi - lo + 1);
  };
  sim_config c;
  c.nodes = nodes;
  c.raft.election_tick = uni(3, 20);
  c.raft.heartbeat_tick = uni(1,
                              std::max<uint64_t>(1, c.raft.election_tick / 3));
  c.raft.max_inflight_msgs = uni(1, 64);
  c.raft.max_size_per_msg_bytes = uni(1, 4096);
  c.raft.pre_vote = uni(0, 9) != 0;
  c.raft.check_quorum = uni(0, 9) != 0;
  c.tick_units = uni(4, 16);
  c.net.drop = static_cast<double>(uni(0, 200)) / 1000;
  c.net.duplicate = static_cast<double>(uni(0, 100)) / 1000;
  c.net.min_delay = uni(1, 3);
  c.net.max_delay = c.net.min_delay + uni(0, c.tick_units * 2);
  c.p_crash = static_cast<double>(uni(0, 30)) / 10000;
  c.p_partition = static_cast<double>(uni(0, 30)) / 10000;
  c.p_propose = static_cast<double>(uni(10, 100)) / 1000;
  c.p_transfer = static_cast<double>(uni(0, 10)) / 10000;
  c.p_read = static_cast<double>(uni(0, 20)) / 1000;
  c.p_flap = static_cast<double>(uni(0, 20)) / 10000;
  c.p_notify_down = static_cast<double>(uni(0, 10)) / 10;
  c.snapshot_interval = uni(3, 60);
  c.keep_entries = uni(0, 10);
  c.steps = 2000 + uni(0, 2000);
  c.spares = uni(0, 1);
  c.p_conf_change = static_cast<double>(uni(0, 20)) / 10000;
  return c;
}

raft_sim::raft_sim(uint64_t seed, sim_config cfg)
  : seed_(seed), cfg_(cfg), rng_(mix64(seed)), net_(rng_, cfg.net) {
  std::vector<uint64_t> ids;
  for (uint64_t id = 1; id <= cfg_.nodes; ++id)
    ids.push_back(id);
  for (uint64_t id = 1; id <= cfg_.nodes + cfg_.spares; ++id) {
    auto n = std::make_unique<node>();
    n->id = id;
    n->phase = uniform(0, cfg_.tick_units - 1);
    if (id <= cfg_.nodes)
      bootstrap(n->log, ids);
    nodes_.push_back(std::move(n));
    restart(*nodes_.back());
  }
}

raft_sim::~raft_sim() = default;

bool raft_sim::chance(double p) {
  return p > 0 && static_cast<double>(rng_() % 1000000) < p * 1000000;
}

uint64_t raft_sim::uniform(uint64_t lo, uint64_t hi) {
  return lo + rng_() % (hi - lo + 1);
}

void raft_sim::restart(node& n) {
  auto rc = cfg_.raft;
  rc.id = n.id;
  rc.applied = n.log.snapshot()->metadata().index();
  n.unsynced_hs.reset();
  n.core = std::make_unique<raft_core>(rc, n.log,
                                       mix64(seed_ ^ (n.id << 8)
                                             ^ (n.incarnation << 32)));
  ++n.incarnation;
  n.up = true;
  n.leader_term = 0;
  n.reads.clear();
  n.read_prefix = std::to_string(mix64(seed_ ^ n.id ^ (n.incarnation << 40)))
                  + ".";
  n.read_seq = 0;
  // The state machine is volatile: rebuild it from the snapshot; the core
  // hands the committed entries after it again.
  auto s = n.log.snapshot();
  n.applied = s->metadata().index();
  n.state = s->data().empty() ? 0 : std::stoull(s->data());
  net_.reconnect(n.id);
}

void raft_sim::crash(node& n, uint64_t now) {
  n.up = false;
  n.core.reset();
  n.unsynced_hs.reset(); // never synced: lost
  n.restart_at = now + uniform(10, 100) * cfg_.tick_units / 2;
  net_.isolate(n.id);
  // The others see its connections close (unless it "hangs" silently).
  if (chance(cfg_.p_notify_down))
    for (auto& m : nodes_)
      if (m->up)
        m->core->peer_down(n.id);
}

raft_sim::node* raft_sim::leader() {
  node* out = nullptr;
  for (auto& n : nodes_)
    if (n->up && n->core->state() == role::leader
        && (!out || n->core->term() > out->core->term()))
      out = n.get();
  return out;
}

void raft_sim::faults(uint64_t now) {
  auto& n = *nodes_[uniform(0, nodes_.size() - 1)];
  if (n.up && chance(cfg_.p_crash))
    crash(n, now);
  for (auto& m : nodes_)
    if (!m->up && m->restart_at <= now)
      restart(*m);
  if (heal_at_ != 0 && now >= heal_at_) {
    net_.heal();
    heal_at_ = 0;
  } else if (heal_at_ == 0 && chance(cfg_.p_partition)) {
    std::set<uint64_t> side;
    for (auto& m : nodes_)
      if (chance(0.5))
        side.insert(m->id);
    net_.partition(side);
    heal_at_ = now + uniform(5, 150) * cfg_.tick_units;
  }
  if (auto* l = leader()) {
    if (chance(cfg_.p_propose))
      (void) l->core->propose("p" + std::to_string(++proposals_));
    if (chance(cfg_.p_transfer))
      (void) l->core->transfer_leadership(uniform(1, nodes_.size()));
    if (chance(cfg_.p_conf_change)) {
      auto id = uniform(1, nodes_.size());
      auto voter = is_voter(l->core->conf_state(), id);
      // Keep at least two voters so the group can still lose one safely.
      if (!voter || voter_ids(l->core->conf_state()).size() > 2)
        (void) l->core->propose_conf_change(conf_change(
          voter ? pb::ConfChange::REMOVE_NODE : pb::ConfChange::ADD_NODE, id));
    }
  }
  if (n.up && chance(cfg_.p_read)) {
    ++reads_;
    auto ctx = n.read_prefix + std::to_string(++n.read_seq);
    n.reads[ctx] = checker_.max_committed();
    (void) n.core->read_index(ctx);
  }
  if (n.up && chance(cfg_.p_flap) && n.core->lead() != 0)
    n.core->peer_down(n.core->lead()); // a connection flapped
}

void raft_sim::observe(node& n) {
  auto& c = *n.core;
  if (c.state() != role::leader)
    return;
  checker_.on_leader(c.term(), n.id);
  if (n.leader_term == c.term())
    return;
  n.leader_term = c.term();
  checker_.on_new_leader_log(n.id, c.log().first_index(), c.log().last_index(),
                             [&c](uint64_t i) {
                               return c.log().term(i).value_or(0);
                             });
}

void raft_sim::tick_and_deliver(uint64_t now) {
  for (auto& n : nodes_) {
    if (n->up && (now + n->phase) % cfg_.tick_units == 0) {
      n->core->tick();
      observe(*n);
    }
  }
  // Bounded by the packets in flight.
  for (auto k = net_.in_flight(); k > 0; --k) {
    auto p = net_.pop_due(now);
    if (!p)
      break;
    auto& n = *nodes_[p->to - 1];
    if (!n.up)
      continue;
    n.core->step(p->msg);
    observe(n);
  }
}

void raft_sim::persist(node& n, const ready& rd) {
  if (rd.snapshot) {
    n.log.apply_snapshot(*rd.snapshot);
  }
  if (!rd.entries.empty()) {
    auto prev = n.log.term(rd.entries.front().index() - 1);
    checker_.on_persist(n.id, prev.ok() ? *prev : 0, rd.entries);
    n.log.append(rd.entries);
  }
  if (rd.hard_state)
    n.unsynced_hs = *rd.hard_state;
  // A sync makes every earlier write durable too (a WAL's fsync).
  if (rd.must_sync && n.unsynced_hs) {
    n.log.set_hard_state(*n.unsynced_hs);
    n.unsynced_hs.reset();
  }
}

void raft_sim::apply(node& n, const ready& rd) {
  if (rd.snapshot) {
    ++snapshots_installed_;
    n.applied = rd.snapshot->metadata().index();
    n.state = std::stoull(rd.snapshot->data());
    checker_.on_state(n.id, n.applied, n.state);
  }
  for (const auto& e : rd.committed_entries) {
    checker_.on_commit(n.id, e);
    if (e.type() == pb::Entry::CONF_CHANGE && e.index() > cfg_.nodes)
      ++conf_changes_applied_;
    if (e.index() != n.applied + 1) {
      checker_.report("node " + std::to_string(n.id) + " applied index "
                      + std::to_string(e.index()) + " after "
                      + std::to_string(n.applied));
      continue;
    }
    n.applied = e.index();
    n.state = mix64(n.state ^ actorswarm::test::raft_checker::entry_hash(e));
    checker_.on_state(n.id, n.applied, n.state);
  }
  for (const auto& r : rd.read_states) {
    auto i = n.reads.find(r.context);
    if (i != n.reads.end())
      checker_.on_read(n.id, r.index, i->second);
  }
}

void raft_sim::maybe_snapshot(node& n) {
  auto snap_index = n.log.snapshot()->metadata().index();
  if (n.applied < snap_index + cfg_.snapshot_interval)
    return;
  auto s = n.core->make_snapshot(n.applied, std::to_string(n.state));
  if (!s)
    return;
  auto st = n.log.create_snapshot(n.applied, s->metadata().conf_state(),
                                  s->data());
  if (!st)
    return;
  if (n.applied > cfg_.keep_entries
      && n.applied - cfg_.keep_entries >= n.log.first_index())
    (void) n.log.compact(n.applied - cfg_.keep_entries);
}

void raft_sim::process(node& n, uint64_t now) {
  for (int k = 0; k < 16 && n.up && n.core->has_ready(); ++k) {
    auto rd = n.core->ready();
    persist(n, rd);
    for (const auto& m : rd.messages)
      net_.send(n.id, m.to(), m, now);
    apply(n, rd);
    n.core->advance(rd);
    observe(n);
    maybe_snapshot(n);
  }
}

uint64_t raft_sim::run() {
  uint64_t now = 0;
  for (; now < cfg_.steps && error().empty(); ++now) {
    faults(now);
    tick_and_deliver(now);
    for (auto& n : nodes_)
      if (n->up)
        process(*n, now);
  }
  if (error().empty() && !healed_phase(now))
    checker_.report("no progress within the budget after healing");
  return digest();
}

bool raft_sim::healed_phase(uint64_t& now) {
  net_.heal();
  heal_at_ = 0;
  net_.options().drop = 0;
  net_.options().duplicate = 0;
  for (auto& n : nodes_)
    if (!n->up)
      restart(*n);
  uint64_t target = 0;
  uint64_t proposed_at = 0;
  auto retry_units = 3 * cfg_.raft.election_tick * cfg_.tick_units;
  auto budget = now + 60 * cfg_.raft.election_tick * cfg_.tick_units;
  for (; now < budget && error().empty(); ++now) {
    tick_and_deliver(now);
    for (auto& n : nodes_)
      process(*n, now);
    auto* l = leader();
    uint64_t min_applied = UINT64_MAX;
    for (auto& n : nodes_)
      if (!l || is_voter(l->core->conf_state(), n->id))
        min_applied = std::min(min_applied, n->applied);
    if (target != 0 && min_applied >= target)
      return true;
    if (l && (target == 0 || now - proposed_at >= retry_units)) {
      if (auto i = l->core->propose("final")) {
        target = *i;
        proposed_at = now;
      }
    }
  }
  return !error().empty();
}

uint64_t raft_sim::digest() const {
  uint64_t h = checker_.digest();
  for (const auto& n : nodes_) {
    h = mix64(h ^ n->applied ^ (n->state << 1));
    h = mix64(h ^ n->log.last_index() ^ (n->log.hard_state().term() << 40));
    if (n->core)
      h = mix64(h ^ n->core->log().committed() ^ (n->core->term() << 32));
  }
  return h;
}

} // namespace actorswarm::raft::test
