#include "actors/node/leadership_actor.hpp"

#include <set>

#include "caf/all.hpp"

#include "actors/allocator/allocator_actor.hpp"
#include "actors/ca/ca_actor.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/manager_status_actor.hpp"
#include "actors/orchestrator/orchestrator_actor.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/update/update_actor.hpp"
#include "messages/log.hpp"

namespace actorswarm::node {

namespace {

struct leadership_state {
  store::store_actor_type store;
  clock* clk = nullptr;
  net::cluster_transport_actor_type transport;
  // Running only while this manager leads.
  allocator::allocator_actor_type allocator;
  scheduler::scheduler_actor_type scheduler;
  orchestrator::orchestrator_actor_type orchestrator;
  update::update_actor_type updater;
  ca::ca_actor_type ca;
  manager_status_actor_type publisher;
  // Stopping: the components whose down message it awaits.
  bool stopping = false;
  std::set<caf::actor_addr> going;
  static inline const char* name = "leadership";
};

using leadership_self
  = leadership_actor_type::stateful_pointer<leadership_state>;

void start_leading(leadership_self self, uint64_t term) {
  auto& st = self->state;
  auto& sys = self->system();
  st.allocator = allocator::spawn_allocator(sys, st.store, *st.clk);
  st.scheduler = scheduler::spawn_scheduler(sys, st.store, *st.clk);
  st.orchestrator = orchestrator::spawn_orchestrator(sys, st.store, *st.clk);
  st.updater = update::spawn_update(sys, st.store, *st.clk);
  self->link_to(st.allocator);
  self->link_to(st.scheduler);
  self->link_to(st.orchestrator);
  self->link_to(st.updater);
  st.ca = ca::spawn_ca(sys, st.store, st.transport, *st.clk,
                       ca::openssl_ca_crypto());
  self->link_to(st.ca);
  st.publisher = spawn_manager_status(self, st.store, *st.clk);
  logger("node")->info("leading: allocator, scheduler, orchestrators and CA "
                       "started term={}",
                       term);
}

// Unlinks and stops the leader's components; with `await`, the actor
// monitors them and goes down once they are.
void stop_leading(leadership_self self, bool await) {
  auto& st = self->state;
  auto stop = [&](const caf::actor_addr& a) {
    self->unlink_from(a);
    if (await) {
      self->monitor(a);
      st.going.insert(a);
    }
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  };
  if (auto p = std::exchange(st.publisher, manager_status_actor_type{}))
    stop(p.address());
  if (auto a = std::exchange(st.ca, {}))
    stop(a.address());
  if (auto a = std::exchange(st.updater, {}))
    stop(a.address());
  if (auto a = std::exchange(st.orchestrator, {}))
    stop(a.address());
  if (auto a = std::exchange(st.scheduler, {}))
    stop(a.address());
  if (auto a = std::exchange(st.allocator, {}))
    stop(a.address());
}

void on_exit(leadership_self self, const caf::exit_msg& msg) {
  auto& st = self->state;
  if (msg.reason != caf::exit_reason::user_shutdown) {
    if (msg.reason)
      self->quit(msg.reason); // a component died: fail-stop
    return;
  }
  if (st.stopping)
    return;
  st.stopping = true;
  stop_leading(self, true);
  if (st.going.empty())
    self->quit(msg.reason);
}

leadership_actor_type::behavior_type
leadership_actor(leadership_self self, store::store_actor_type store,
                 net::cluster_transport_actor_type transport, clock* clk) {
  auto& st = self->state;
  st.store = std::move(store);
  st.transport = std::move(transport);
  st.clk = clk;
  self->send(st.store, watch_atom::value,
             store::leader_watcher_actor_type{self});
  self->set_exit_handler([=](const caf::exit_msg& msg) { on_exit(self, msg); });
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    if (st.going.erase(msg.source) > 0 && st.going.empty())
      self->quit(caf::exit_reason::user_shutdown);
  });
  return {
    [=](leader_atom, const raft::raft_status_ptr& x) {
      auto& st = self->state;
      if (st.stopping)
        return;
      if (x->is_leader && !st.orchestrator) {
        start_leading(self, x->term);
      } else if (!x->is_leader && st.orchestrator) {
        stop_leading(self, false);
        logger("node")->info("following: allocator, scheduler, "
                             "orchestrator and CA stopped term={}",
                             x->term);
      }
    },
  };
}

} // namespace

leadership_actor_type
spawn_leadership(caf::local_actor* parent, store::store_actor_type store,
                 net::cluster_transport_actor_type transport, clock& clk) {
  return parent->spawn<caf::linked>(leadership_actor, std::move(store),
                                    std::move(transport), &clk);
}

} // namespace actorswarm::node
