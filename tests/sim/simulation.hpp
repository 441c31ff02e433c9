#pragma once

// The simulation's internals (docs/simulation.md), shared by its parts:
// sim_cluster.cpp (the run loop and the fault script), sim_nodes.cpp (a
// manager's lifecycle: spawn, crash, restart, join), sim_workload.cpp (the
// client workload and its history), sim_force_new.cpp (force-new-cluster as
// recover_actor runs it), sim_checks.cpp (Raft invariants from the disks and
// the end-of-run checks), sim_orchestration.cpp (the simulated agents and
// the orchestration checks), sim_network.* (the network and the transport).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/actor_fixture.hpp"

#include "actors/dispatcher/dispatcher_interface.hpp"
#include "actors/node/clock.hpp"
#include "actors/raft/raft_actor.hpp"
#include "actors/store/store_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "sim/sim_cluster.hpp"
#include "sim/sim_disk.hpp"
#include "sim/sim_network.hpp"
#include "support/checkers.hpp"
#include "support/seed.hpp"

namespace actorswarm::sim::detail {

// -- fatal stops ---------------------------------------------------------------

// AS_ASSERT / AS_FAIL_STOP in production code throw this while a
// simulation runs (messages/assert.hpp's on_fatal): CAF's exception
// handler then ends the actor that stopped, and the node's watcher reports
// it with the message kept in last_fatal.
struct sim_fatal {
  std::string what;
};

extern std::string last_fatal;

[[noreturn]] void throw_fatal(const char* file, int line, const char* what);

// Faults injected by the simulation name themselves "sim: ...".
inline bool injected(const std::string& why) {
  return why.find("sim: ") != std::string::npos;
}

// -- the simulation ------------------------------------------------------------

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
  // Orchestration: the dispatcher and the simulated agent of this
  // incarnation; the tasks its dispatcher assigned it (as last seen); the
  // task processes running on the node (task id -> slot), which survive a
  // daemon crash (the real agent adopts them from its task records).
  dispatcher::dispatcher_actor_type dispatcher;
  caf::actor agent;
  std::map<std::string, pb::Task> assigned;
  std::map<std::string, std::string> processes;
};

/// The simulation's wall clock (node::clock): sim time.
class sim_clock final : public node::clock {
public:
  explicit sim_clock(const sim_time* now) : now_(now) {
    // nop
  }

  int64_t now_ns() const override {
    return 1'700'000'000'000'000'000 + static_cast<int64_t>(*now_) * 1'000'000;
  }

private:
  const sim_time* now_;
};

/// The simulated agent of node `id` (sim_orchestration.cpp).
caf::actor spawn_sim_agent(caf::actor_system& sys, simulation* sim, uint64_t id,
                           std::shared_ptr<bool> alive,
                           dispatcher::dispatcher_actor_type disp);

/// Reports the Raft status and the stops of node `id`'s store; with
/// `clk`, also spawns the leadership actor (linked) as the daemon's node
/// actor does and reports the stops of it and of `disp`.
caf::behavior sim_watcher(caf::event_based_actor* self, simulation* sim,
                          uint64_t id, uint64_t incarnation,
                          store::store_actor_type store,
                          net::cluster_transport_actor_type transport,
                          dispatcher::dispatcher_actor_type disp,
                          node::clock* clk);

class simulation {
public:
  simulation(const sim_options& opts, const std::vector<fault_event>& sched);

  sim_result run();

  // -- callbacks from actors ---------------------------------------------------

  sim_time now() const {
    return now_;
  }

  void net_send(packet p) {
    net_.send(now_, std::move(p));
  }

  void on_status(uint64_t id, uint64_t inc, const raft::raft_status_ptr& st);

  void on_down(uint64_t id, uint64_t inc, const caf::error& reason);

  void complete(size_t op, const std::shared_ptr<bool>& alive, outcome r,
                uint64_t index, svc_state value);

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

  static std::string node_name(uint64_t id) {
    return "node-" + std::to_string(id);
  }

  static pb::Member member(uint64_t id) {
    pb::Member m;
    m.set_raft_id(id);
    m.set_node_id(node_name(id));
    m.set_addr("10.0.0." + std::to_string(id) + ":2377");
    return m;
  }

  // -- orchestration (sim_orchestration.cpp) ---------------------------------

  /// Node `id`'s agent got assignments: the status reports it sends.
  pb::StatusBatch on_assignments(uint64_t id, const pb::Assignments& a);

  /// What node `id`'s agent reports for the tasks assigned to it.
  pb::StatusBatch agent_reports(uint64_t id);

private:
  sim_node& node(uint64_t id) {
    return *nodes_[id - 1];
  }

  // -- raft invariants from the disks (sim_checks.cpp) -----------------------

  void on_save(uint64_t id, const persistence::log_write& w,
               std::optional<uint64_t> prev_term);

  // -- nodes (sim_nodes.cpp) -------------------------------------------------

  void start(sim_node& n);

  // Kills n's process: nothing it does from now on escapes, its disk
  // keeps only what is durable (applied at the restart).
  void crash(sim_node& n, const std::string& why);

  void kill_actors(sim_node& n);

  void restart(sim_node& n);

  // Spawns a client-side helper actor; all are killed at the end of the
  // run (the actor system waits for every actor before it goes).
  template <class F>
  void helper(F f) {
    helpers_.push_back(fx_.sys.spawn(std::move(f)));
  }

  // -- joins (as admission_actor: a conf change on the leader) ---------------

  void join(uint64_t id);

  void joined(uint64_t id);

  // -- running (sim_cluster.cpp) -----------------------------------------------

  // Runs every queued message, checking the disks after each: a disk that
  // froze (armed crash, fsync error) crashes its node at once.
  void run_messages();

  void deliver_due();

  // Moves time to `t`: CAF's timers due by then fire.
  void advance_to(sim_time t);

  std::optional<sim_time> next_timer();

  void run_until(sim_time end);

  // -- script: faults, restarts, client operations -------------------------

  std::optional<sim_time> next_scripted() const;

  void run_scripted();

  void apply_fault(const fault_event& f);

  // -- client workload (sim_workload.cpp) --------------------------------------

  struct planned_op {
    sim_time at = 0;
    uint64_t node = 0;
    op_kind kind = op_kind::read;
    std::string key;
    uint64_t replicas = 0;
  };

  void plan_workload();

  static pb::StoreBatch service_batch(pb::StoreAction::Kind kind,
                                      const std::string& key, uint64_t replicas,
                                      uint64_t version);

  void issue(const planned_op& p);

  // -- force-new-cluster (sim_force_new.cpp) --------------------------------

  void force_new_cluster(sim_node&);

  struct view_info {
    uint64_t applied = 0;
    std::string state;
  };

  std::optional<view_info> ask_view(sim_node& n);

  // -- final checks (sim_checks.cpp) ---------------------------------------

  void check_end();

  // -- orchestration (sim_orchestration.cpp) ---------------------------------

  /// Task processes of one slot (service and slot, or service and node for
  /// global services) and since when more than one runs.
  struct slot_state {
    std::set<std::string> running;
    sim_time since = never;
  };

  void start_process(sim_node& n, const pb::Task& t);

  void stop_process(sim_node& n, const std::string& task);

  // A slot that ran more than one process: longer than the window after
  // the faults healed is a violation.
  void check_slot(const std::string& key, const slot_state& s);

  // Stores the nodes' objects (as swarm init and the admission actor do),
  // through the leader, until done.
  void register_nodes();

  // Desired state reached: every service's replicas run on nodes.
  void check_orchestration(const store::object_store& v);

  /// The reconciliation window: two processes of one slot may run this
  /// long once the faults healed. After the heal every node is up and
  /// reachable, so the old process stops as soon as its node's store
  /// catches up and its dispatcher sends the changed assignments (a
  /// snapshot install at most); 5 s is about 50 Raft ticks.
  static constexpr sim_time reconcile_window_ms = 5000;

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
  sim_clock clock_{&now_};
  std::map<std::string, slot_state> slots_;
  std::set<uint64_t> registered_;
  sim_time next_registration_ = 1000;
  sim_time healed_at_ = never;
  // Last: the actors go before everything they point at.
  test_coordinator_fixture<test::actor_test_config> fx_;
};

} // namespace actorswarm::sim::detail
