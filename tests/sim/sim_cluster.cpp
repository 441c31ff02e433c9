#include "sim/sim_cluster.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "support/actor_fixture.hpp"

#include "actors/raft/force_new_cluster.hpp"
#include "actors/raft/raft_actor.hpp"
#include "actors/store/store_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/assert.hpp"
#include "messages/caf_error.hpp"
#include "net/cluster_transport.hpp"
#include "net/cluster_transport_interface.hpp"
#include "sim/sim_disk.hpp"
#include "support/checkers.hpp"
#include "support/seed.hpp"

namespace actorswarm::sim {

namespace {

// -- fatal stops ---------------------------------------------------------------

// AS_ASSERT / AS_FAIL_STOP in production code throw this while a
// simulation runs (messages/assert.hpp's on_fatal): CAF's exception
// handler then ends the actor that stopped, and the node's watcher reports
// it with the message kept here.
struct sim_fatal {
  std::string what;
};

std::string last_fatal;

[[noreturn]] void throw_fatal(const char* file, int line, const char* what) {
  std::string f = file;
  if (auto pos = f.rfind("/actors/"); pos != std::string::npos)
    f = f.substr(pos + 1);
  else if (auto pos2 = f.rfind("/persistence/"); pos2 != std::string::npos)
    f = f.substr(pos2 + 1);
  last_fatal = f + ":" + std::to_string(line) + ": " + what;
  throw sim_fatal{last_fatal};
}

// Faults injected by the simulation name themselves "sim: ...".
bool injected(const std::string& why) {
  return why.find("sim: ") != std::string::npos;
}

// -- the network -------------------------------------------------------------

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

  void send(sim_time now, packet p) {
    ++sent_;
    if (cut(p.from, p.to))
      return;
    if (faults && chance(opts.drop))
      return;
    // Duplicates: RaftMessages only. A request travels once over one TLS
    // connection (TCP neither duplicates nor resends it), so a duplicated
    // PROPOSE would be a fault the real transport cannot have.
    int copies = faults && p.what == packet::kind::raft
                     && chance(opts.duplicate)
                   ? 2
                   : 1;
    for (int i = 0; i < copies; ++i) {
      auto d = opts.min_delay + rng_() % (opts.max_delay - opts.min_delay + 1);
      if (faults && chance(opts.long_delay))
        d += rng_() % opts.long_delay_max;
      queue_.emplace(std::make_pair(now + d, seq_++), p);
    }
  }

  std::optional<sim_time> next_due() const {
    if (queue_.empty())
      return std::nullopt;
    return queue_.begin()->first.first;
  }

  std::optional<packet> pop_due(sim_time now) {
    while (!queue_.empty() && queue_.begin()->first.first <= now) {
      auto p = std::move(queue_.begin()->second);
      queue_.erase(queue_.begin());
      if (!cut(p.from, p.to))
        return p;
    }
    return std::nullopt;
  }

  void partition(const std::vector<uint64_t>& side, size_t n) {
    std::set<uint64_t> in(side.begin(), side.end());
    for (uint64_t a = 1; a <= n; ++a)
      for (uint64_t b = 1; b <= n; ++b)
        if (in.count(a) != in.count(b))
          blocked_.emplace(a, b);
  }

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

// -- the simulation ------------------------------------------------------------

class simulation;

// One manager: its disk survives restarts, its actors do not.
struct sim_node {
  explicit sim_node(uint64_t id, uint64_t seed)
    : id(id), faults(seed), log(faults), snaps(faults) {
    // nop
  }

  uint64_t id;
  disk_faults faults;
  sim_log_store log;
  sim_snapshot_store snaps;
  bool up = false;
  /// Gone for good (force-new-cluster removed it).
  bool removed = false;
  uint64_t incarnation = 0;
  /// False once this incarnation crashed: nothing it does escapes.
  std::shared_ptr<bool> alive;
  /// This incarnation reported a Raft status (it got through start-up).
  bool started = false;
  sim_time started_at = 0;
  uint64_t tick_ms = 100;
  bool bootstrap = false;
  store::store_actor_type store;
  caf::actor transport;
  caf::actor watcher;
  uint64_t last_leader_term = 0;
  bool is_leader = false;
};

struct transport_state {
  std::map<int32_t, net::cluster_server_actor_type> servers;
  net::cluster_raft_actor_type raft;
  std::map<uint64_t, caf::typed_response_promise<std::string>> calls;
  uint64_t next_call = 0;
  static inline const char* name = "sim_transport";
};

using transport_actor = caf::stateful_actor<transport_state>;

caf::behavior sim_transport(transport_actor* self, simulation* sim, uint64_t id,
                            uint64_t incarnation, std::shared_ptr<bool> alive);

caf::behavior sim_watcher(caf::event_based_actor* self, simulation* sim,
                          uint64_t id, uint64_t incarnation,
                          store::store_actor_type store);

class simulation {
public:
  simulation(const sim_options& opts, const std::vector<fault_event>& sched)
    : opts_(opts),
      schedule_(sched),
      net_(test::mix64(opts.seed ^ 0x6e6574)),
      work_rng_(test::mix64(opts.seed ^ 0x776f726b)) {
    std::mt19937_64 r(test::mix64(opts.seed ^ 0x6e6f6465));
    for (uint64_t i = 1; i <= opts.managers; ++i) {
      nodes_.push_back(std::make_unique<sim_node>(i, r()));
      auto& n = *nodes_.back();
      // Clock drift: each node's tick is its own length (90..110 ms for
      // the daemon's 100).
      n.tick_ms = 90 + r() % 21;
      n.bootstrap = i == 1;
      n.faults.crash_after_publish = opts.crash_in_snapshot_install;
      n.faults.snapshot_write_error = opts.disk_faults ? 0.02 : 0;
      n.log.set_observer([this, i](const persistence::log_write& w,
                                   std::optional<uint64_t> t) {
        on_save(i, w, t);
      });
    }
    if (opts.network_faults) {
      net_.opts.drop = static_cast<double>(r() % 10) / 100;     // 0..9 %
      net_.opts.duplicate = static_cast<double>(r() % 5) / 100; // 0..4 %
      net_.opts.max_delay = 1 + r() % 60;
      net_.opts.long_delay = static_cast<double>(r() % 3) / 100; // 0..2 %
    } else {
      net_.faults = false;
    }
  }

  sim_result run();

  // -- callbacks from actors ---------------------------------------------------

  sim_time now() const {
    return now_;
  }

  void net_send(packet p) {
    net_.send(now_, std::move(p));
  }

  void on_status(uint64_t id, uint64_t inc, const raft::raft_status_ptr& st) {
    auto& n = node(id);
    if (inc != n.incarnation || !*n.alive)
      return;
    n.is_leader = st->is_leader;
    if (!n.started) {
      n.started = true;
      trace("n" + std::to_string(id) + " started (incarnation "
            + std::to_string(inc) + ")");
    }
    // A member in the leader's configuration has joined (its conf
    // change's answer may have been lost).
    if (st->is_leader)
      for (const auto& m : st->members.voters())
        if (joins_.count(m.raft_id()))
          joined(m.raft_id());
    if (st->is_leader && st->term > n.last_leader_term) {
      n.last_leader_term = st->term;
      checker_.on_leader(st->term, id);
      trace("n" + std::to_string(id) + " leads term "
            + std::to_string(st->term));
    }
  }

  void on_down(uint64_t id, uint64_t inc, const caf::error& reason) {
    auto& n = node(id);
    if (inc != n.incarnation || !*n.alive)
      return; // the simulation killed it
    // The fatal stop that ended it is the last one thrown (several nodes
    // may stop in one instant: then all are named).
    auto why = last_fatal.empty()
                 ? caf::to_string(reason) + " (no AS_ASSERT/AS_FAIL_STOP line)"
                 : last_fatal;
    last_fatal.clear();
    *n.alive = false;
    n.up = false;
    ++result_.crashes;
    kill_actors(n);
    if (injected(why)) {
      trace("n" + std::to_string(id) + " stopped as it must: " + why);
      // An injected transient fault: the operator (here: us) restarts it.
      pending_restarts_.push_back(now_ + 1000);
      pending_restart_nodes_.push_back(id);
      return;
    }
    if (!n.started)
      violation("node " + std::to_string(id) + " cannot restart (incarnation "
                + std::to_string(inc) + "): " + why);
    else
      violation("node " + std::to_string(id) + " stopped: " + why);
  }

  void complete(size_t op, const std::shared_ptr<bool>& alive, outcome r,
                uint64_t index, svc_state value) {
    auto& o = history_[op];
    if (!*alive || o.responded != never)
      return; // its node crashed: nobody heard the answer
    o.responded = now_;
    o.result = r;
    o.index = index;
    o.value = value;
    if (r == outcome::ok && o.kind != op_kind::read)
      known_version_[o.key] = index;
    if (r == outcome::ok && o.kind == op_kind::read && value.exists)
      known_version_[o.key] = value.version;
    if (r == outcome::unknown)
      o.responded = never;
    trace("  " + to_string(o));
    // A liveness probe tries again until it gets a definite answer.
    if (r == outcome::unknown && o.key.rfind("probe-", 0) == 0
        && now_ + 6000 < opts_.fault_ms + opts_.heal_ms) {
      planned_op p;
      p.at = now_ + 500;
      p.node = o.client;
      p.kind = o.kind;
      p.key = o.key;
      p.replicas = o.replicas;
      retries_.push_back(p);
    }
  }

  void trace(std::string line) {
    line = "t=" + std::to_string(now_) + " " + line;
    digest_ = test::mix64(digest_ ^ test::hash_bytes(line));
    trace_.push_back(std::move(line));
    if (trace_.size() > opts_.trace_lines)
      trace_.pop_front();
  }

  void violation(std::string what) {
    if (result_.violation.empty()) {
      trace("VIOLATION: " + what);
      result_.violation = std::move(what);
    }
  }

  const sim_options& opts() const {
    return opts_;
  }

private:
  sim_node& node(uint64_t id) {
    return *nodes_[id - 1];
  }

  // -- raft invariants from the disks ------------------------------------------

  void on_save(uint64_t id, const persistence::log_write& w,
               std::optional<uint64_t> prev_term) {
    if (!w.entries.empty()) {
      if (prev_term) {
        checker_.on_persist(id, *prev_term, w.entries);
      } else if (w.entries.size() > 1) {
        std::vector<pb::Entry> rest(w.entries.begin() + 1, w.entries.end());
        checker_.on_persist(id, w.entries.front().term(), rest);
      }
    }
    if (!w.hard_state)
      return;
    auto& n = node(id);
    auto commit = w.hard_state->commit();
    auto& reported = committed_[id];
    auto lo = std::max(reported + 1, n.log.first_index());
    auto hi = std::min(commit, n.log.last_index());
    if (lo <= hi) {
      auto xs
        = n.log.volatile_image().entries(lo, hi + 1,
                                         persistence::no_size_limit_bytes);
      if (xs)
        for (const auto& e : *xs)
          checker_.on_commit(id, e);
    }
    reported = std::max(reported, commit);
    if (!checker_.error().empty())
      violation(checker_.error());
  }

  // -- nodes -------------------------------------------------------------------

  void start(sim_node& n) {
    ++n.incarnation;
    n.alive = std::make_shared<bool>(true);
    n.up = true;
    n.started = false;
    n.started_at = now_;
    n.last_leader_term = 0;
    n.is_leader = false;
    // As the daemon's node actor starts a manager (start_manager).
    store::store_config scfg;
    scfg.snapshot_interval = opts_.snapshot_interval;
    scfg.raft.core.id = n.id;
    scfg.raft.tick_ms = n.tick_ms;
    scfg.raft.seed = n.id * 1000 + n.incarnation;
    scfg.raft.bootstrap.clear();
    if (n.bootstrap)
      scfg.raft.bootstrap.push_back(member(n.id));
    n.store = store::spawn_store(fx_.sys, n.log, &n.snaps, scfg);
    n.transport = fx_.sys.spawn(sim_transport, this, n.id, n.incarnation,
                                n.alive);
    fx_.self->send(
      n.store, store_connect_atom::value,
      caf::actor_cast<net::cluster_transport_actor_type>(n.transport));
    n.watcher = fx_.sys.spawn(sim_watcher, this, n.id, n.incarnation, n.store);
  }

  // Kills n's process: nothing it does from now on escapes, its disk
  // keeps only what is durable (applied at the restart).
  void crash(sim_node& n, const std::string& why) {
    if (!n.up)
      return;
    trace("n" + std::to_string(n.id) + " CRASH: " + why);
    n.faults.freeze(why);
    *n.alive = false;
    n.up = false;
    ++result_.crashes;
    kill_actors(n);
  }

  void kill_actors(sim_node& n) {
    caf::anon_send_exit(n.store, caf::exit_reason::kill);
    caf::anon_send_exit(n.transport, caf::exit_reason::kill);
    caf::anon_send_exit(n.watcher, caf::exit_reason::kill);
  }

  void restart(sim_node& n) {
    if (n.up || n.removed)
      return;
    auto lost = n.log.unsynced();
    n.log.crash();
    n.faults.corrupt_read = 0;
    ++result_.restarts;
    trace("n" + std::to_string(n.id) + " restart (" + std::to_string(lost)
          + " unsynced writes at risk; log "
          + std::to_string(n.log.first_index()) + ".."
          + std::to_string(n.log.last_index()) + ", snapshots "
          + std::to_string(n.snaps.size()) + ")");
    start(n);
  }

  // Spawns a client-side helper actor; all are killed at the end of the
  // run (the actor system waits for every actor before it goes).
  template <class F>
  void helper(F f) {
    helpers_.push_back(fx_.sys.spawn(std::move(f)));
  }

  static pb::Member member(uint64_t id) {
    pb::Member m;
    m.set_raft_id(id);
    m.set_node_id("node-" + std::to_string(id));
    m.set_addr("10.0.0." + std::to_string(id) + ":2377");
    return m;
  }

  // -- running -----------------------------------------------------------------

  // Runs every queued message, checking the disks after each: a disk that
  // froze (armed crash, fsync error) crashes its node at once.
  void run_messages() {
    while (fx_.sched.try_run_once()) {
      ++result_.messages;
      for (auto& n : nodes_)
        if (n->up && n->faults.frozen)
          crash(*n, n->faults.why);
      if (result_.messages > message_budget_) {
        violation("livelock: more than " + std::to_string(message_budget_)
                  + " messages");
        return;
      }
    }
  }

  void deliver_due() {
    while (auto p = net_.pop_due(now_)) {
      auto& n = node(p->to);
      if (!n.up)
        continue; // nobody listens
      switch (p->what) {
        case packet::kind::raft:
          caf::anon_send(n.transport, raft_msg_atom::value, std::move(p->msg));
          break;
        case packet::kind::request:
          caf::anon_send(n.transport, rpc_atom::value, p->from, p->call,
                         p->incarnation, p->rpc, std::move(p->payload));
          break;
        case packet::kind::reply:
          if (p->incarnation != n.incarnation)
            continue;
          caf::anon_send(n.transport, cluster_call_atom::value, p->call, p->ok,
                         std::move(p->payload));
          break;
      }
    }
  }

  // Moves time to `t`: CAF's timers due by then fire.
  void advance_to(sim_time t) {
    if (t <= now_)
      return;
    auto d = std::chrono::milliseconds(t - now_);
    fx_.advance_time(d);
    now_ = t;
  }

  std::optional<sim_time> next_timer() {
    const auto& sch = fx_.sched.clock().schedule();
    if (sch.empty())
      return std::nullopt;
    auto d = sch.begin()->first - fx_.sched.clock().current_time;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (std::chrono::milliseconds(ms) < d)
      ++ms;
    return now_ + static_cast<sim_time>(std::max<int64_t>(ms, 0));
  }

  void run_until(sim_time end) {
    while (result_.violation.empty()) {
      deliver_due();
      run_messages();
      run_scripted();
      run_messages();
      if (!result_.violation.empty())
        return;
      sim_time next = end;
      if (auto t = net_.next_due())
        next = std::min(next, *t);
      if (auto t = next_timer())
        next = std::min(next, *t);
      if (auto t = next_scripted())
        next = std::min(next, *t);
      if (next <= now_)
        next = now_ + 1;
      if (now_ >= end)
        return;
      advance_to(std::min(next, end));
    }
  }

  // -- script: faults, restarts, client operations -------------------------

  std::optional<sim_time> next_scripted() const {
    std::optional<sim_time> out;
    auto take = [&](sim_time t) {
      if (t > now_ && (!out || t < *out))
        out = t;
    };
    if (next_fault_ < schedule_.size())
      take(schedule_[next_fault_].at);
    if (next_op_ < workload_.size())
      take(workload_[next_op_].at);
    for (const auto& p : retries_)
      take(p.at);
    for (auto t : pending_restarts_)
      take(t);
    for (auto& j : joins_)
      take(j.second);
    return out;
  }

  void run_scripted() {
    while (next_fault_ < schedule_.size() && schedule_[next_fault_].at <= now_)
      apply_fault(schedule_[next_fault_++]);
    for (size_t i = 0; i < pending_restarts_.size();) {
      if (pending_restarts_[i] <= now_) {
        auto id = pending_restart_nodes_[i];
        pending_restarts_.erase(pending_restarts_.begin() + i);
        pending_restart_nodes_.erase(pending_restart_nodes_.begin() + i);
        restart(node(id));
      } else {
        ++i;
      }
    }
    for (auto i = joins_.begin(); i != joins_.end();)
      if (node(i->first).removed)
        i = joins_.erase(i);
      else
        ++i;
    for (auto& [id, t] : joins_)
      if (t <= now_) {
        t = now_ + 2000; // again until it is a member
        join(id);
      }
    while (next_op_ < workload_.size() && workload_[next_op_].at <= now_)
      issue(workload_[next_op_++]);
    for (size_t i = 0; i < retries_.size();) {
      if (retries_[i].at <= now_) {
        auto p = retries_[i];
        retries_.erase(retries_.begin() + i);
        issue(p);
      } else {
        ++i;
      }
    }
  }

  void apply_fault(const fault_event& f) {
    if (!opts_.disk_faults
        && (f.what == fault_event::kind::arm_crash
            || f.what == fault_event::kind::fsync_error
            || f.what == fault_event::kind::corrupt_read))
      return;
    if (!opts_.network_faults
        && (f.what == fault_event::kind::partition
            || f.what == fault_event::kind::one_way))
      return;
    trace("fault: " + to_string(f));
    if (f.node > nodes_.size() || f.arg > nodes_.size() + 1000)
      return;
    auto* n = f.node ? &node(f.node) : nullptr;
    switch (f.what) {
      case fault_event::kind::crash:
        crash(*n, "sim: crash (scheduled)");
        break;
      case fault_event::kind::arm_crash:
        if (n->up)
          n->faults.arm(f.arg, f.mode ? crash_mode::after : crash_mode::before);
        break;
      case fault_event::kind::fsync_error:
        if (n->up)
          n->faults.arm(f.arg, crash_mode::fsync_error);
        break;
      case fault_event::kind::corrupt_read:
        if (n->up)
          n->faults.corrupt_read = 1.0;
        break;
      case fault_event::kind::restart:
        restart(*n);
        break;
      case fault_event::kind::partition:
        net_.partition(f.side, nodes_.size());
        break;
      case fault_event::kind::one_way:
        net_.one_way(f.node, f.arg);
        break;
      case fault_event::kind::heal:
        net_.heal();
        break;
      case fault_event::kind::force_new:
        force_new_cluster(*n);
        break;
      case fault_event::kind::quiet:
        net_.heal();
        for (auto& m : nodes_) {
          m->faults.crash_at = 0;
          m->faults.corrupt_read = 0;
          restart(*m);
        }
        break;
    }
  }

  // -- joins (as admission_actor: a conf change on the leader) ---------------

  void join(uint64_t id) {
    // To the leader, as the admission actor's conf change goes there.
    sim_node* to = nullptr;
    for (auto& m : nodes_)
      if (m->up && m->is_leader
          && (!to || m->last_leader_term > to->last_leader_term))
        to = m.get();
    if (!to)
      return;
    pb::ConfChange cc;
    cc.set_type(pb::ConfChange::ADD_NODE);
    *cc.mutable_member() = member(id);
    auto alive = to->alive;
    auto store = to->store;
    auto* self = this;
    helper([=](caf::event_based_actor* a) {
      a->request(store, std::chrono::seconds(3), conf_atom::value, cc)
        .then(
          [=](uint64_t) {
            if (*alive)
              self->joined(id);
          },
          [=](caf::error&) {});
    });
  }

  void joined(uint64_t id) {
    if (joins_.erase(id))
      trace("n" + std::to_string(id) + " joined");
  }

  // -- client workload ---------------------------------------------------------

  struct planned_op {
    sim_time at = 0;
    uint64_t node = 0;
    op_kind kind = op_kind::read;
    std::string key;
    uint64_t replicas = 0;
  };

  void plan_workload() {
    static const char* keys[] = {"svc-a", "svc-b", "svc-c"};
    sim_time t = 1500;
    uint64_t replicas = 1;
    while (t < opts_.fault_ms) {
      planned_op p;
      p.at = t;
      p.node = 1 + work_rng_() % nodes_.size();
      p.key = keys[work_rng_() % 3];
      auto r = work_rng_() % 100;
      p.kind = r < 25   ? op_kind::create
               : r < 50 ? op_kind::update
               : r < 60 ? op_kind::remove
                        : op_kind::read;
      p.replicas = ++replicas;
      workload_.push_back(p);
      t += 50 + work_rng_() % 300;
    }
    // After the faults healed: a write through every node (liveness), then
    // a read of every key through every node.
    auto probe = opts_.fault_ms + 3000;
    for (uint64_t i = 1; i <= nodes_.size(); ++i) {
      planned_op p;
      p.at = probe + i;
      p.node = i;
      p.kind = op_kind::create;
      p.key = "probe-" + std::to_string(i);
      p.replicas = ++replicas;
      workload_.push_back(p);
    }
    auto final_reads = opts_.fault_ms + opts_.heal_ms - 3000;
    for (uint64_t i = 1; i <= nodes_.size(); ++i)
      for (auto k : keys) {
        planned_op p;
        p.at = final_reads + i;
        p.node = i;
        p.kind = op_kind::read;
        p.key = k;
        workload_.push_back(p);
      }
  }

  static pb::StoreBatch service_batch(pb::StoreAction::Kind kind,
                                      const std::string& key, uint64_t replicas,
                                      uint64_t version) {
    // What the control rules propose for service create, scale and rm: one
    // atomic action on the service object, conditional on the version read.
    pb::StoreBatch b;
    b.set_atomic(true);
    auto* a = b.add_actions();
    a->set_kind(kind);
    auto* s = a->mutable_service();
    s->set_id(key);
    s->mutable_meta()->set_version(version);
    s->mutable_spec()->set_name(key);
    s->mutable_spec()->set_replicas(replicas);
    return b;
  }

  void issue(const planned_op& p) {
    auto& n = node(p.node);
    if (!n.up || n.removed)
      return;
    operation o;
    o.id = history_.size() + 1;
    o.client = p.node;
    o.key = p.key;
    o.kind = p.kind;
    o.replicas = p.replicas;
    o.invoked = now_;
    if (p.kind == op_kind::update) {
      auto i = known_version_.find(p.key);
      o.from_version = i == known_version_.end() ? 1 : i->second;
    }
    auto index = history_.size();
    history_.push_back(o);
    auto shown = to_string(o);
    trace("n" + std::to_string(p.node) + " invoke "
          + shown.substr(0, shown.find(" [")));
    auto alive = n.alive;
    auto store = n.store;
    auto* self = this;
    auto timeout = std::chrono::milliseconds(op_timeout_ms);
    if (p.kind == op_kind::read) {
      auto key = p.key;
      helper([=](caf::event_based_actor* a) {
        a->request(store, timeout, read_atom::value)
          .then(
            [=](bool linearizable) {
              if (!linearizable) {
                self->complete(index, alive, outcome::unknown, 0, {});
                return;
              }
              a->request(store, timeout, view_atom::value)
                .then(
                  [=](const store_view_ptr& v) {
                    svc_state s;
                    auto i = v->services().find(key);
                    if (i != v->services().end()) {
                      s.exists = true;
                      s.replicas = i->second->spec().replicas();
                      s.version = i->second->meta().version();
                    }
                    self->complete(index, alive, outcome::ok, 0, s);
                  },
                  [=](caf::error&) {
                    self->complete(index, alive, outcome::unknown, 0, {});
                  });
            },
            [=](caf::error&) {
              self->complete(index, alive, outcome::unknown, 0, {});
            });
      });
      return;
    }
    auto kind = p.kind == op_kind::create   ? pb::StoreAction::CREATE
                : p.kind == op_kind::update ? pb::StoreAction::UPDATE
                                            : pb::StoreAction::REMOVE;
    auto batch = service_batch(kind, p.key, p.replicas,
                               p.kind == op_kind::update ? o.from_version : 0);
    helper([=](caf::event_based_actor* a) {
      a->request(store, timeout, propose_atom::value, batch)
        .then(
          [=](uint64_t i) { self->complete(index, alive, outcome::ok, i, {}); },
          [=](caf::error& err) {
            auto f = to_failure(err);
            // Refusals of the state machine are definite; anything else
            // (no leader, lost leadership, timeouts) may still commit.
            auto r = f.code == errc::name_conflict   ? outcome::exists
                     : f.code == errc::not_found     ? outcome::missing
                     : f.code == errc::stale_version ? outcome::stale
                                                     : outcome::unknown;
            self->complete(index, alive, r, 0, {});
          });
    });
  }

  // -- force-new-cluster (recover_actor's steps) --------------------------

  void force_new_cluster(sim_node&) {
    // On the leader of a cluster that ran whole for a while (the schedule
    // keeps faults away before it): what it committed is all that was
    // acknowledged, so nothing may be lost.
    sim_node* pick = nullptr;
    for (auto& m : nodes_)
      if (m->up && m->started && m->is_leader
          && (!pick || m->last_leader_term > pick->last_leader_term))
        pick = m.get();
    if (!pick) {
      trace("force-new-cluster skipped: no leader");
      return;
    }
    auto& n = *pick;
    // The view recover_actor takes before it stops the components.
    auto view = ask_view(n);
    if (!view || view->applied == 0) {
      trace("force-new-cluster skipped: nothing applied");
      return;
    }
    // Stopping the components is asynchronous: the cluster runs on for a
    // while (clients too), so the log may commit past the view's applied
    // index and hold entries after it.
    run_until(now_ + fnc_rng_() % 400);
    if (!n.up || !result_.violation.empty())
      return;
    trace("n" + std::to_string(n.id) + " force-new-cluster at applied "
          + std::to_string(view->applied) + " (durable commit "
          + std::to_string(n.log.hard_state().commit()) + ")");
    // Every other manager is gone for good: their operator removed them.
    for (auto& m : nodes_)
      if (m->id != n.id) {
        crash(*m, "sim: removed for force-new-cluster");
        m->removed = true;
      }
    // Stop n's components (a clean stop: nothing volatile is lost), then
    // rewrite its Raft state, maybe crashing inside; after a crash the
    // operator runs it again.
    crash(n, "sim: components stopped for force-new-cluster");
    run_messages();
    n.log.stop();
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (attempt < 2 && fnc_rng_() % 2 == 0)
        n.faults.arm(1 + fnc_rng_() % 4,
                     fnc_rng_() % 2 ? crash_mode::after : crash_mode::before);
      result<raft::forced_cluster> meta = fail(errc::internal, "not run");
      try {
        meta = raft::force_new_cluster(n.log, n.snaps, view->state,
                                       view->applied, member(n.id));
      } catch (const sim_fatal& e) {
        // A crashed process stops at its crash point; whatever the rest of
        // the call then trips over never happened.
        if (n.faults.frozen) {
          trace("n" + std::to_string(n.id)
                + " crashed inside force-new-cluster: " + n.faults.why);
          n.log.crash();
          continue;
        }
        // The operator sees the tool stop with this line.
        if (injected(e.what)) {
          n.log.crash();
          continue;
        }
        violation("force-new-cluster on node " + std::to_string(n.id)
                  + " stopped: " + e.what);
        return;
      }
      if (n.faults.frozen) {
        trace("n" + std::to_string(n.id)
              + " crashed inside force-new-cluster: " + n.faults.why);
        n.log.crash();
        continue;
      }
      n.faults.crash_at = 0;
      if (!meta) {
        // Nothing rewritten: the operator runs it again.
        trace("force-new-cluster failed: " + meta.error().message);
        continue;
      }
      break;
    }
    n.faults.crash_at = 0;
    n.bootstrap = false;
    restart(n);
  }

  struct view_info {
    uint64_t applied = 0;
    std::string state;
  };

  std::optional<view_info> ask_view(sim_node& n) {
    auto h = fx_.self->request(n.store, caf::infinite, view_atom::value);
    run_messages();
    if (fx_.self->mailbox().empty())
      return std::nullopt;
    std::optional<view_info> out;
    h.receive(
      [&](const store_view_ptr& v) {
        out = view_info{v->applied_index(), v->snapshot().SerializeAsString()};
      },
      [&](caf::error&) {});
    return out;
  }

  // -- final checks --------------------------------------------------------

  void check_end() {
    // Every node is up and all agree (state machine safety after heal).
    std::optional<std::pair<uint64_t, std::string>> first;
    for (auto& n : nodes_) {
      if (n->removed)
        continue;
      if (!n->up) {
        violation("node " + std::to_string(n->id)
                  + " is not up after the faults healed");
        return;
      }
      auto h = fx_.self->request(n->store, caf::infinite, view_atom::value);
      run_messages();
      if (fx_.self->mailbox().empty()) {
        violation("node " + std::to_string(n->id) + " does not answer");
        return;
      }
      std::string digest;
      uint64_t applied = 0;
      h.receive(
        [&](const store_view_ptr& v) {
          applied = v->applied_index();
          std::map<std::string, std::string> sorted;
          for (const auto& [id, s] : v->services())
            sorted[std::string{id}] = std::to_string(s->spec().replicas()) + "@"
                                      + std::to_string(s->meta().version());
          for (const auto& [id, x] : sorted)
            digest += id + "=" + x + ";";
        },
        [&](caf::error&) {});
      trace("n" + std::to_string(n->id) + " final applied="
            + std::to_string(applied) + " services: " + digest);
      if (!first) {
        first = std::make_pair(applied, digest);
      } else if (first->second != digest) {
        violation("replicas disagree after heal: node 1 (or first up) has "
                  + first->second + " at " + std::to_string(first->first)
                  + ", node " + std::to_string(n->id) + " has " + digest
                  + " at " + std::to_string(applied));
        return;
      }
    }
    // Liveness: a write through every node completed after the heal
    // (retried while its answer said nothing definite).
    for (auto& n : nodes_) {
      if (n->removed)
        continue;
      auto key = "probe-" + std::to_string(n->id);
      bool done = false;
      for (const auto& o : history_)
        if (o.key == key && o.result != outcome::unknown)
          done = true;
      if (!done) {
        violation("liveness: no write through node " + std::to_string(n->id)
                  + " completed in the " + std::to_string(opts_.heal_ms)
                  + " ms after the faults healed");
        return;
      }
    }
    auto lin = check_linearizable(history_);
    if (!lin.ok)
      violation("not linearizable: " + lin.explanation);
  }

  // -- members ---------------------------------------------------------------

  static constexpr sim_time op_timeout_ms = 4000;

  sim_options opts_;
  std::vector<fault_event> schedule_;
  sim_net net_;
  std::mt19937_64 work_rng_;
  std::mt19937_64 fnc_rng_{7};
  std::vector<std::unique_ptr<sim_node>> nodes_;
  test::raft_checker checker_;
  std::map<uint64_t, uint64_t> committed_;
  std::vector<operation> history_;
  std::map<std::string, uint64_t> known_version_;
  std::vector<planned_op> workload_;
  std::vector<planned_op> retries_;
  std::vector<caf::actor> helpers_;
  size_t next_fault_ = 0;
  size_t next_op_ = 0;
  std::vector<sim_time> pending_restarts_;
  std::vector<uint64_t> pending_restart_nodes_;
  std::map<uint64_t, sim_time> joins_;
  sim_time now_ = 0;
  size_t message_budget_ = 3000000;
  std::deque<std::string> trace_;
  uint64_t digest_ = 0;
  sim_result result_;
  // Last: the actors go before everything they point at.
  test_coordinator_fixture<test::actor_test_config> fx_;

  friend sim_result run_simulation(const sim_options&,
                                   const std::vector<fault_event>&);
};

caf::behavior sim_transport(transport_actor* self, simulation* sim, uint64_t id,
                            uint64_t incarnation, std::shared_ptr<bool> alive) {
  auto rpc_timeout
    = std::chrono::milliseconds(net::cluster_transport_config{}.rpc_timeout_ms);
  return {
    // From the local raft peer.
    [=](raft_send_atom, pb::RaftMessage& m) {
      if (!*alive)
        return;
      packet p;
      p.what = packet::kind::raft;
      p.from = id;
      p.to = m.to();
      p.msg = std::move(m);
      sim->net_send(std::move(p));
    },
    [=](raft_members_atom, const pb::ConfState&) {
      // Addresses are the simulation's: node ids.
    },
    [=](cluster_raft_atom, const net::cluster_raft_actor_type& r) {
      self->state.raft = r;
    },
    [=](cluster_raft_id_atom, uint64_t) {},
    [=](serve_atom, int32_t kind, const net::cluster_server_actor_type& s) {
      self->state.servers[kind] = s;
    },
    // A request to another manager (the store forwards proposals).
    [=](cluster_call_atom, uint64_t to, int32_t kind,
        std::string& payload) -> caf::result<std::string> {
      auto rp = self->make_response_promise<std::string>();
      auto call = ++self->state.next_call;
      self->state.calls.emplace(call, rp);
      if (*alive) {
        packet p;
        p.what = packet::kind::request;
        p.from = id;
        p.to = to;
        p.call = call;
        p.incarnation = incarnation;
        p.rpc = kind;
        p.payload = std::move(payload);
        sim->net_send(std::move(p));
      }
      self->delayed_send(self, rpc_timeout, cluster_timeout_atom::value, call);
      return rp;
    },
    [=](cluster_timeout_atom, uint64_t call) {
      auto i = self->state.calls.find(call);
      if (i == self->state.calls.end())
        return;
      i->second.deliver(make_error(errc::timeout, "cluster request timed out"));
      self->state.calls.erase(i);
    },
    // From the network: a RaftMessage, a request, a reply.
    [=](raft_msg_atom, pb::RaftMessage& m) {
      if (self->state.raft)
        self->send(self->state.raft, raft_msg_atom::value, std::move(m));
    },
    [=](rpc_atom, uint64_t from, uint64_t call, uint64_t from_incarnation,
        int32_t kind, std::string& payload) {
      auto reply = [=](bool ok, std::string bytes) {
        if (!*alive)
          return;
        packet p;
        p.what = packet::kind::reply;
        p.from = id;
        p.to = from;
        p.call = call;
        p.incarnation = from_incarnation;
        p.ok = ok;
        p.payload = std::move(bytes);
        sim->net_send(std::move(p));
      };
      auto i = self->state.servers.find(kind);
      if (i == self->state.servers.end()) {
        reply(false, "no server");
        return;
      }
      self
        ->request(i->second, caf::infinite, rpc_atom::value, kind,
                  "node-" + std::to_string(from), std::move(payload))
        .then([=](std::string& r) { reply(true, std::move(r)); },
              [=](caf::error& e) { reply(false, caf::to_string(e)); });
    },
    [=](cluster_call_atom, uint64_t call, bool ok, std::string& payload) {
      auto i = self->state.calls.find(call);
      if (i == self->state.calls.end())
        return;
      if (ok)
        i->second.deliver(std::move(payload));
      else
        i->second.deliver(make_error(errc::unavailable, payload));
      self->state.calls.erase(i);
    },
  };
}

caf::behavior sim_watcher(caf::event_based_actor* self, simulation* sim,
                          uint64_t id, uint64_t incarnation,
                          store::store_actor_type store) {
  self->set_down_handler([=](const caf::down_msg& dm) {
    sim->on_down(id, incarnation, dm.reason);
    self->quit();
  });
  self->monitor(store);
  self->send(store, watch_atom::value,
             caf::actor_cast<store::leader_watcher_actor_type>(self));
  return {
    [=](leader_atom, const raft::raft_status_ptr& st) {
      sim->on_status(id, incarnation, st);
    },
  };
}

sim_result simulation::run() {
  auto previous = on_fatal;
  on_fatal = throw_fatal;
  last_fatal.clear();
  plan_workload();
  for (auto& n : nodes_)
    start(*n);
  for (uint64_t i = 2; i <= nodes_.size(); ++i)
    joins_[i] = 200 + 100 * i;
  run_until(opts_.fault_ms);
  // Heal: network whole, every node up, no more disk faults.
  trace("heal: network whole, all nodes up, no faults");
  net_.heal();
  net_.faults = false;
  for (auto& n : nodes_) {
    n->faults.crash_at = 0;
    n->faults.corrupt_read = 0;
    n->faults.snapshot_write_error = 0;
    restart(*n);
  }
  run_until(opts_.fault_ms + opts_.heal_ms);
  if (result_.violation.empty())
    check_end();
  for (auto& n : nodes_)
    if (n->up)
      crash(*n, "end of run");
  for (auto& h : helpers_)
    caf::anon_send_exit(h, caf::exit_reason::kill);
  helpers_.clear();
  run_messages();
  on_fatal = previous;
  for (const auto& o : history_) {
    ++result_.ops;
    if (o.result == outcome::unknown)
      ++result_.unknown;
    else
      ++result_.acknowledged;
  }
  result_.trace.assign(trace_.begin(), trace_.end());
  result_.digest = digest_;
  return result_;
}

} // namespace

// -- schedule ---------------------------------------------------------------

std::string to_string(const fault_event& x) {
  std::ostringstream out;
  out << "@" << x.at << "ms ";
  switch (x.what) {
    case fault_event::kind::crash:
      out << "crash n" << x.node;
      break;
    case fault_event::kind::arm_crash:
      out << "crash n" << x.node << " " << (x.mode ? "after" : "before")
          << " its write +" << x.arg;
      break;
    case fault_event::kind::fsync_error:
      out << "fsync error on n" << x.node << " at its write +" << x.arg;
      break;
    case fault_event::kind::corrupt_read:
      out << "corrupt record on n" << x.node << "'s next log read";
      break;
    case fault_event::kind::restart:
      out << "restart n" << x.node;
      break;
    case fault_event::kind::partition: {
      out << "partition {";
      for (size_t i = 0; i < x.side.size(); ++i)
        out << (i ? "," : "") << "n" << x.side[i];
      out << "} from the rest";
      break;
    }
    case fault_event::kind::one_way:
      out << "drop n" << x.node << " -> n" << x.arg;
      break;
    case fault_event::kind::heal:
      out << "heal network";
      break;
    case fault_event::kind::force_new:
      out << "force-new-cluster on n" << x.node;
      break;
    case fault_event::kind::quiet:
      out << "quiet: network whole, all nodes up, no armed crash";
      break;
  }
  return out.str();
}

std::vector<fault_event> make_schedule(const sim_options& opts) {
  std::mt19937_64 r(test::mix64(opts.seed ^ 0x6661756c74));
  std::vector<fault_event> out;
  const auto n = opts.managers;
  auto pick = [&] { return 1 + r() % n; };
  sim_time t = 2500; // after the joins
  while (t < opts.fault_ms) {
    fault_event f;
    f.at = t;
    auto k = r() % 100;
    if (k < 22) {
      f.what = fault_event::kind::crash;
      f.node = pick();
      out.push_back(f);
      fault_event back;
      back.at = t + 200 + r() % 4000;
      back.what = fault_event::kind::restart;
      back.node = f.node;
      out.push_back(back);
    } else if (k < 44) {
      f.what = fault_event::kind::arm_crash;
      f.node = pick();
      f.arg = 1 + r() % 12;
      f.mode = r() % 2;
      out.push_back(f);
      fault_event back;
      back.at = t + 500 + r() % 4000;
      back.what = fault_event::kind::restart;
      back.node = f.node;
      out.push_back(back);
    } else if (k < 52) {
      f.what = fault_event::kind::fsync_error;
      f.node = pick();
      f.arg = 1 + r() % 12;
      out.push_back(f);
      fault_event back;
      back.at = t + 500 + r() % 4000;
      back.what = fault_event::kind::restart;
      back.node = f.node;
      out.push_back(back);
    } else if (k < 57) {
      f.what = fault_event::kind::corrupt_read;
      f.node = pick();
      out.push_back(f);
    } else if (k < 75) {
      f.what = fault_event::kind::partition;
      auto a = pick();
      f.side.push_back(a);
      if (n > 3 && r() % 2) {
        auto b = pick();
        if (b != a)
          f.side.push_back(b);
      }
      out.push_back(f);
      fault_event back;
      back.at = t + 300 + r() % 4000;
      back.what = fault_event::kind::heal;
      out.push_back(back);
    } else if (k < 87) {
      f.what = fault_event::kind::one_way;
      f.node = pick();
      f.arg = pick();
      if (f.arg == f.node)
        f.arg = 1 + f.node % n;
      out.push_back(f);
      fault_event back;
      back.at = t + 300 + r() % 4000;
      back.what = fault_event::kind::heal;
      out.push_back(back);
    }
    t += 300 + r() % 1500;
  }
  if (opts.force_new_cluster) {
    // A whole cluster for 3 s before it (heal, everybody up), as an
    // operator would find it after the others are lost for good.
    fault_event f;
    f.at = opts.fault_ms / 2 + r() % 2000;
    f.what = fault_event::kind::force_new;
    f.node = pick();
    auto quiet = f.at - 3000;
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const fault_event& x) {
                               return x.at >= quiet && x.at <= f.at + 500;
                             }),
              out.end());
    fault_event h;
    h.at = quiet;
    h.what = fault_event::kind::quiet;
    out.push_back(h);
    out.push_back(f);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const fault_event& a, const fault_event& b) {
                     return a.at < b.at;
                   });
  return out;
}

sim_result run_simulation(const sim_options& opts,
                          const std::vector<fault_event>& schedule) {
  simulation sim(opts, schedule);
  return sim.run();
}

std::vector<fault_event> select(const std::vector<fault_event>& schedule,
                                const std::vector<size_t>& keep) {
  std::vector<fault_event> out;
  for (auto i : keep)
    if (i < schedule.size())
      out.push_back(schedule[i]);
  return out;
}

std::vector<size_t> shrink_schedule(const sim_options& opts,
                                    const std::vector<fault_event>& schedule,
                                    size_t max_runs) {
  std::vector<size_t> keep(schedule.size());
  for (size_t i = 0; i < keep.size(); ++i)
    keep[i] = i;
  size_t runs = 0;
  auto fails = [&](const std::vector<size_t>& xs) {
    ++runs;
    return !run_simulation(opts, select(schedule, xs)).ok();
  };
  // ddmin, simplified: drop chunks, halving the chunk size.
  for (size_t chunk = std::max<size_t>(keep.size() / 2, 1);
       chunk >= 1 && runs < max_runs; chunk /= 2) {
    for (size_t at = 0; at < keep.size() && runs < max_runs;) {
      auto candidate = keep;
      auto end = std::min(at + chunk, candidate.size());
      candidate.erase(candidate.begin() + at, candidate.begin() + end);
      if (fails(candidate))
        keep = std::move(candidate);
      else
        at += chunk;
    }
    if (chunk == 1)
      break;
  }
  return keep;
}

std::string describe_failure(const sim_options& opts, const sim_result& r,
                             const std::vector<fault_event>& schedule,
                             const std::vector<size_t>* kept) {
  std::ostringstream out;
  out << "simulation seed " << opts.seed << " (" << opts.managers
      << " managers): " << r.violation << "\n";
  out << "replay: AS_SEED=" << opts.seed;
  if (kept) {
    out << " AS_SIM_KEEP=";
    for (size_t i = 0; i < kept->size(); ++i)
      out << (i ? "," : "") << (*kept)[i];
  }
  out << " build/sim_test \"sim: replay one seed\"\n";
  out << "fault schedule (" << (kept ? kept->size() : schedule.size())
      << " events):\n";
  if (kept) {
    for (auto i : *kept)
      out << "  [" << i << "] " << to_string(schedule[i]) << "\n";
  } else {
    for (size_t i = 0; i < schedule.size(); ++i)
      out << "  [" << i << "] " << to_string(schedule[i]) << "\n";
  }
  out << "last " << r.trace.size() << " events:\n";
  for (const auto& line : r.trace)
    out << "  " << line << "\n";
  return out.str();
}

} // namespace actorswarm::sim
