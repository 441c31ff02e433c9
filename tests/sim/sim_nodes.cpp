// A simulated manager's lifecycle: spawned as the daemon's node actor starts
// a manager, crashed (no clean shutdown), restarted from its durable image,
// joined to the group as admission_actor joins it; and the watcher that
// reports its Raft status and its stops.

#include "sim/simulation.hpp"

#include "actors/dispatcher/dispatcher_actor.hpp"
#include "actors/node/leadership_actor.hpp"
#include "messages/assert.hpp"

namespace actorswarm::sim::detail {

// -- fatal stops ---------------------------------------------------------------

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

// -- status and stops ----------------------------------------------------------

void simulation::on_status(uint64_t id, uint64_t inc,
                           const raft::raft_status_ptr& st) {
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
    trace("n" + std::to_string(id) + " leads term " + std::to_string(st->term));
  }
}

void simulation::on_down(uint64_t id, uint64_t inc, const caf::error& reason) {
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

caf::behavior sim_watcher(caf::event_based_actor* self, simulation* sim,
                          uint64_t id, uint64_t incarnation,
                          store::store_actor_type store,
                          net::cluster_transport_actor_type transport,
                          dispatcher::dispatcher_actor_type disp,
                          node::clock* clk) {
  self->set_down_handler([=](const caf::down_msg& dm) {
    sim->on_down(id, incarnation, dm.reason);
    self->quit();
  });
  self->monitor(store);
  if (clk) {
    // As start_manager: the leadership actor, linked (a component that
    // dies takes the node down), and the dispatcher.
    self->set_exit_handler([=](const caf::exit_msg& m) {
      sim->on_down(id, incarnation, m.reason);
      self->quit(m.reason);
    });
    node::spawn_leadership(self, store, transport, *clk);
    self->monitor(disp);
  }
  self->send(store, watch_atom::value,
             caf::actor_cast<store::leader_watcher_actor_type>(self));
  return {
    [=](leader_atom, const raft::raft_status_ptr& st) {
      sim->on_status(id, incarnation, st);
    },
  };
}

// -- start, crash, restart ---------------------------------------------------

void simulation::start(sim_node& n) {
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
  auto transport
    = caf::actor_cast<net::cluster_transport_actor_type>(n.transport);
  node::clock* clk = nullptr;
  if (opts_.orchestration) {
    n.dispatcher = dispatcher::spawn_dispatcher(fx_.sys, n.store, clock_);
    n.agent = spawn_sim_agent(fx_.sys, this, n.id, n.alive, n.dispatcher);
    clk = &clock_;
  }
  n.assigned.clear();
  n.watcher = fx_.sys.spawn(sim_watcher, this, n.id, n.incarnation, n.store,
                            transport, n.dispatcher, clk);
}

// Kills n's process: nothing it does from now on escapes, its disk
// keeps only what is durable (applied at the restart).
void simulation::crash(sim_node& n, const std::string& why) {
  if (!n.up)
    return;
  trace("n" + std::to_string(n.id) + " CRASH: " + why);
  n.faults.freeze(why);
  *n.alive = false;
  n.up = false;
  ++result_.crashes;
  kill_actors(n);
}

void simulation::kill_actors(sim_node& n) {
  caf::anon_send_exit(n.store, caf::exit_reason::kill);
  caf::anon_send_exit(n.transport, caf::exit_reason::kill);
  caf::anon_send_exit(n.watcher, caf::exit_reason::kill);
  if (n.dispatcher)
    caf::anon_send_exit(n.dispatcher, caf::exit_reason::kill);
  if (n.agent)
    caf::anon_send_exit(n.agent, caf::exit_reason::kill);
}

void simulation::restart(sim_node& n) {
  if (n.up || n.removed)
    return;
  auto lost = n.log.unsynced();
  n.log.crash();
  n.faults.corrupt_read = 0;
  ++result_.restarts;
  trace("n" + std::to_string(n.id) + " restart (" + std::to_string(lost)
        + " unsynced writes at risk; log " + std::to_string(n.log.first_index())
        + ".." + std::to_string(n.log.last_index()) + ", snapshots "
        + std::to_string(n.snaps.size()) + ")");
  start(n);
}

// -- joins (as admission_actor: a conf change on the leader) ---------------

void simulation::join(uint64_t id) {
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

void simulation::joined(uint64_t id) {
  if (joins_.erase(id))
    trace("n" + std::to_string(id) + " joined");
}

} // namespace actorswarm::sim::detail
