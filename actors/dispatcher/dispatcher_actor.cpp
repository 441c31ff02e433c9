#include "actors/dispatcher/dispatcher_actor.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "caf/all.hpp"

#include "actors/dispatcher/assignments.hpp"
#include "actors/node/clock.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/ids.hpp"

namespace actorswarm::dispatcher {

namespace {

struct session {
  assignee_actor_type agent;
  std::string session_id;
  uint32_t misses = 0;
  bool down = false;
  /// The agent's request while its node is not in the view yet (swarm init
  /// starts the agent before the init batch that stores the node commits);
  /// the node is marked ready with it once the node appears.
  std::optional<pb::SessionRequest> unregistered;
  // What the session's node was marked ready with (retried on refusal).
  std::optional<pb::SessionRequest> ready;
  /// The session has not had its full set of assignments yet: it gets it
  /// once this replica is current (a linearizable read succeeded), since
  /// a full set computed from a replica still catching up (a restart
  /// replaying its log, a manager that just joined) would make the agent
  /// stop tasks that are in fact assigned to it.
  bool awaiting_full = true;
  /// The network part last sent (assignments.hpp fill_networks' digest).
  std::string networks_sent;
};

struct dispatcher_state {
  store::object_store view;
  store::store_actor_type store;
  node::clock* clk = nullptr;
  dispatcher_config cfg;
  std::unordered_map<std::string, session> sessions; // by node id
  std::vector<pb::TaskStatusUpdate> reports;
  bool flush_scheduled = false;
  static inline const char* name = "dispatcher";
};

using dispatcher_ptr
  = dispatcher_actor_type::stateful_pointer<dispatcher_state>;

// `then_err` runs when the store refused the batch.
void propose(dispatcher_ptr self, std::vector<pb::StoreAction> xs,
             std::function<void()> then_err = nullptr) {
  if (xs.empty())
    return;
  pb::StoreBatch b;
  b.set_proposed_at_ns(self->state.clk->now_ns());
  for (auto& x : xs)
    *b.add_actions() = std::move(x);
  // Non-atomic: each report stands alone. Errors only mean the report was
  // overtaken; the next event corrects any view.
  self
    ->request(self->state.store, caf::infinite, propose_atom::value,
              std::move(b))
    .then([](uint64_t) {},
          [then_err](caf::error& err) {
            logger("dispatcher")
              ->warn("status batch refused: {}", caf::to_string(err));
            if (then_err)
              then_err();
          });
}

constexpr auto ready_retry = std::chrono::milliseconds(50);

// Marks the node of session (node_id, session_id) ready; a refused proposal
// is tried again while the session lasts.
void propose_ready(dispatcher_ptr self, pb::StoreAction x,
                   const std::string& node_id, const std::string& session_id) {
  propose(self, {std::move(x)}, [=] {
    self->delayed_send(self, ready_retry, ready_retry_atom::value, node_id,
                       session_id);
  });
}

void flush_reports(dispatcher_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  auto xs = status_actions(st.view, st.reports);
  st.reports.clear();
  propose(self, std::move(xs));
}

// Marks `node` ready with what its agent told us at session start, and
// records that this dispatcher serves its session.
pb::StoreAction ready_action(pb::Node node, const pb::SessionRequest& req,
                             const std::string& session_id) {
  *node.mutable_description() = req.description();
  node.mutable_status()->set_addr(req.addr());
  node.mutable_status()->set_session_id(session_id);
  return node_status_action(node, pb::NodeStatus::READY, "");
}

constexpr auto current_retry = std::chrono::milliseconds(200);

// Sends the session of `node_id` its full set of assignments once this
// replica is current and the node is in the view; retries while there is
// no leader. Stale answers (a newer session) are dropped.
void send_full_when_current(dispatcher_ptr self, const std::string& node_id,
                            const std::string& session_id) {
  self->request(self->state.store, caf::infinite, read_atom::value)
    .then([=](bool fresh) {
      auto& st = self->state;
      auto s = st.sessions.find(node_id);
      if (s == st.sessions.end() || s->second.session_id != session_id
          || !s->second.awaiting_full || s->second.unregistered)
        return; // gone, replaced, served, or served once its node shows
      if (!fresh) {
        self->delayed_send(self, current_retry, full_set_retry_atom::value,
                           node_id, session_id);
        return;
      }
      s->second.awaiting_full = false;
      auto as = full_assignments(st.view, node_id);
      s->second.networks_sent = fill_networks(st.view, node_id, as);
      as.set_session_id(session_id);
      self->send(s->second.agent, assign_atom::value, std::move(as));
    });
}

// Registers sessions that were opened before their node was stored, then
// serves their full assignments (send_full_when_current).
void register_late_nodes(dispatcher_ptr self) {
  for (auto& [node_id, s] : self->state.sessions) {
    if (!s.unregistered)
      continue;
    auto n = self->state.view.nodes().find(node_id);
    if (n == self->state.view.nodes().end())
      continue;
    s.ready = *s.unregistered;
    s.unregistered.reset();
    propose_ready(self, ready_action(*n->second, *s.ready, s.session_id),
                  node_id, s.session_id);
    send_full_when_current(self, node_id, s.session_id);
  }
}

void on_events(dispatcher_ptr self, const store::change_set& cs) {
  auto& st = self->state;
  st.view.apply_changes(cs);
  register_late_nodes(self);
  auto changed = changed_assignments(cs);
  // The network part goes with the task changes, and alone when only it
  // moved (a task elsewhere started, a service got its VIP).
  if (touches_networks(cs)) {
    for (auto& [node_id, s] : st.sessions) {
      if (s.awaiting_full || s.unregistered)
        continue;
      pb::Assignments net;
      auto digest = fill_networks(st.view, node_id, net);
      if (digest == s.networks_sent)
        continue;
      s.networks_sent = std::move(digest);
      auto& as = changed[node_id];
      as.set_networks_set(true);
      *as.mutable_networks() = std::move(*net.mutable_networks());
      as.set_data_path_port(net.data_path_port());
      as.set_ingress_address(net.ingress_address());
      *as.mutable_host_ports() = std::move(*net.mutable_host_ports());
    }
  }
  for (auto& [node_id, as] : changed) {
    auto s = st.sessions.find(node_id);
    // Until its full set went out, a session gets no increments: the full
    // set, computed later, includes them.
    if (s == st.sessions.end() || s->second.awaiting_full)
      continue;
    as.set_session_id(s->second.session_id);
    self->send(s->second.agent, assign_atom::value, std::move(as));
  }
}

pb::SessionReply open_session(dispatcher_ptr self,
                              const pb::SessionRequest& req,
                              const assignee_actor_type& agent) {
  auto& st = self->state;
  auto& s = st.sessions[req.node_id()];
  s.agent = agent;
  s.session_id = new_id();
  s.misses = 0;
  s.down = false;
  self->monitor(agent);
  s.unregistered.reset();
  s.awaiting_full = true;
  s.networks_sent.clear();
  auto n = st.view.nodes().find(req.node_id());
  if (n != st.view.nodes().end()) {
    s.ready = req;
    propose_ready(self, ready_action(*n->second, req, s.session_id),
                  req.node_id(), s.session_id);
    send_full_when_current(self, req.node_id(), s.session_id);
  } else {
    logger("dispatcher")
      ->info("session before its node is stored node_id={}", req.node_id());
    s.unregistered = req;
  }
  pb::SessionReply out;
  out.set_session_id(s.session_id);
  out.set_heartbeat_period_ns(st.cfg.heartbeat_period_ms * 1'000'000);
  logger("dispatcher")->info("session opened node_id={}", req.node_id());
  return out;
}

// Marks nodes whose heartbeats stopped as DOWN (time is a message: this runs
// on a delayed hb_check to self). A session whose agent moved to another
// manager's dispatcher (the stored status names that one's session) is
// dropped instead: its node is alive, only not here.
void check_heartbeats(dispatcher_ptr self) {
  auto& st = self->state;
  std::vector<pb::StoreAction> xs;
  for (auto i = st.sessions.begin(); i != st.sessions.end();) {
    auto& [node_id, s] = *i;
    if (s.down || ++s.misses <= st.cfg.heartbeat_misses_max) {
      ++i;
      continue;
    }
    auto n = st.view.nodes().find(node_id);
    if (n != st.view.nodes().end() && session_moved(*n->second, s.session_id)) {
      logger("dispatcher")
        ->info("session moved to another manager node_id={}", node_id);
      i = st.sessions.erase(i);
      continue;
    }
    s.down = true;
    if (n != st.view.nodes().end())
      xs.push_back(node_status_action(*n->second, pb::NodeStatus::DOWN,
                                      "heartbeat failure"));
    ++i;
  }
  propose(self, std::move(xs));
  self->delayed_send(self,
                     std::chrono::milliseconds(st.cfg.heartbeat_period_ms),
                     hb_check_atom::value);
}

dispatcher_actor_type::behavior_type
dispatcher_actor(dispatcher_ptr self, store::store_actor_type store,
                 node::clock* clk, dispatcher_config cfg) {
  auto& st = self->state;
  st.store = store;
  st.clk = clk;
  st.cfg = cfg;
  store::subscribe(self, store,
                   [=](const store_view_ptr& v) { self->state.view = *v; });
  self->delayed_send(self, std::chrono::milliseconds(cfg.heartbeat_period_ms),
                     hb_check_atom::value);
  self->set_down_handler([=](const caf::down_msg& dm) {
    for (auto& [id, s] : self->state.sessions)
      if (s.agent.address() == dm.source)
        s.misses = self->state.cfg.heartbeat_misses_max;
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) { on_events(self, *cs); },
    [=](session_atom, const pb::SessionRequest& req,
        const assignee_actor_type& agent) {
      return open_session(self, req, agent);
    },
    [=](heartbeat_atom, const pb::Heartbeat& hb) {
      auto i = self->state.sessions.find(hb.node_id());
      if (i == self->state.sessions.end()
          || i->second.session_id != hb.session_id())
        return;
      i->second.misses = 0;
      if (i->second.down) {
        i->second.down = false;
        auto n = self->state.view.nodes().find(hb.node_id());
        if (n != self->state.view.nodes().end()) {
          auto x = node_status_action(*n->second, pb::NodeStatus::READY, "");
          x.mutable_node()->mutable_status()->set_session_id(
            i->second.session_id);
          propose(self, {std::move(x)});
        }
      }
    },
    [=](status_batch_atom, const pb::StatusBatch& b) {
      auto& st = self->state;
      for (auto& u : own_updates(st.view, b))
        st.reports.push_back(std::move(u));
      if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
    },
    [=](flush_atom) { flush_reports(self); },
    [=](hb_check_atom) { check_heartbeats(self); },
    [=](full_set_retry_atom, const std::string& node_id,
        const std::string& session_id) {
      send_full_when_current(self, node_id, session_id);
    },
    [=](ready_retry_atom, const std::string& node_id,
        const std::string& session_id) {
      auto& st = self->state;
      auto s = st.sessions.find(node_id);
      auto n = st.view.nodes().find(node_id);
      if (s == st.sessions.end() || s->second.session_id != session_id
          || !s->second.ready || n == st.view.nodes().end())
        return; // gone or replaced
      propose_ready(self,
                    ready_action(*n->second, *s->second.ready, session_id),
                    node_id, session_id);
    },
  };
}

} // namespace

dispatcher_actor_type spawn_dispatcher(caf::actor_system& sys,
                                       store::store_actor_type store,
                                       node::clock& clk,
                                       dispatcher_config cfg) {
  return sys.spawn(dispatcher_actor, std::move(store), &clk, cfg);
}

} // namespace actorswarm::dispatcher
