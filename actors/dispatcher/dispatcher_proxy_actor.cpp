#include "actors/dispatcher/dispatcher_proxy_actor.hpp"

#include <deque>

#include "caf/all.hpp"

#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/cluster_transport_interface.hpp"

namespace actorswarm::dispatcher {

namespace {

constexpr auto call_timeout = std::chrono::seconds(5);
constexpr auto retry_delay = std::chrono::milliseconds(200);
constexpr size_t pending_status_max = 256;

struct proxy_state {
  net::cluster_transport_actor_type transport;
  assignee_actor_type agent;
  std::vector<std::string> managers;
  size_t current = 0;         // index into managers
  pb::SessionRequest request; // the agent's, replayed on failover
  std::string agent_session;  // the id the agent knows
  std::string session;        // the id of the manager's session
  bool connecting = false;
  caf::response_promise first;        // the agent's session request
  std::deque<pb::StatusBatch> unsent; // reports waiting for a session
  // Assignments that overtook their session's reply (the dispatcher sends
  // the full set before it answers).
  std::vector<pb::Assignments> early;
  static inline const char* name = "dispatcher_proxy";
};

using proxy_ptr = dispatcher_proxy_actor_type::stateful_pointer<proxy_state>;

void reconnect(proxy_ptr self, const std::string& failed_session);

const std::string& manager(proxy_ptr self) {
  return self->state.managers[self->state.current];
}

// Sends `payload` of `kind` to the current manager; on failure moves on to
// the next manager and opens a new session there.
void call(proxy_ptr self, pb::Envelope::Kind kind, std::string payload,
          std::function<void(const std::string&)> on_ok = {}) {
  auto& st = self->state;
  if (st.managers.empty())
    return;
  auto session = st.session;
  self
    ->request(st.transport, call_timeout, cluster_call_atom::value,
              manager(self), static_cast<int32_t>(kind), std::move(payload))
    .then(
      [=](const std::string& reply) {
        if (on_ok)
          on_ok(reply);
      },
      [=](caf::error& err) {
        logger("agent")->warn("manager {} unreachable: {}", manager(self),
                              to_failure(err).message);
        reconnect(self, session);
      });
}

void flush_unsent(proxy_ptr self) {
  auto& st = self->state;
  while (!st.unsent.empty() && !st.session.empty()) {
    auto b = std::move(st.unsent.front());
    st.unsent.pop_front();
    b.set_session_id(st.session);
    call(self, pb::Envelope::STATUS, b.SerializeAsString());
  }
}

void open_session(proxy_ptr self, caf::response_promise rp) {
  auto& st = self->state;
  st.connecting = true;
  call(self, pb::Envelope::SESSION, st.request.SerializeAsString(),
       [=](const std::string& bytes) mutable {
         auto& st = self->state;
         pb::SessionReply r;
         if (!r.ParseFromString(bytes)) {
           reconnect(self, {});
           return;
         }
         st.connecting = false;
         st.session = r.session_id();
         if (r.managers_size() > 0) {
           auto cur = manager(self);
           st.managers.assign(r.managers().begin(), r.managers().end());
           auto i = std::find(st.managers.begin(), st.managers.end(), cur);
           st.current = i == st.managers.end() ? 0 : i - st.managers.begin();
         }
         logger("agent")->info("session open with manager {}", manager(self));
         if (st.agent_session.empty())
           st.agent_session = st.session;
         r.set_session_id(st.agent_session);
         if (rp.pending())
           rp.deliver(r);
         auto early = std::move(st.early);
         st.early.clear();
         for (auto& as : early)
           if (as.session_id() == st.session) {
             as.set_session_id(st.agent_session);
             self->send(st.agent, assign_atom::value, std::move(as));
           }
         flush_unsent(self);
       });
}

// A call of session `failed_session` failed: the first failure of a session
// moves on to the next manager (later ones of the same session are stale).
void reconnect(proxy_ptr self, const std::string& failed_session) {
  auto& st = self->state;
  if (failed_session != st.session || st.managers.empty())
    return;
  st.session.clear();
  st.current = (st.current + 1) % st.managers.size();
  self->delayed_send(self, retry_delay, manager_retry_atom::value);
}

dispatcher_proxy_actor_type::behavior_type
dispatcher_proxy_actor(proxy_ptr self,
                       net::cluster_transport_actor_type transport,
                       std::vector<std::string> managers) {
  auto& st = self->state;
  st.transport = std::move(transport);
  st.managers = std::move(managers);
  return {
    [=](session_atom, const pb::SessionRequest& req,
        const assignee_actor_type& agent) -> caf::result<pb::SessionReply> {
      auto& st = self->state;
      st.agent = agent;
      st.request = req;
      st.agent_session.clear();
      auto rp = self->make_response_promise<pb::SessionReply>();
      st.first = rp;
      open_session(self, rp);
      return rp;
    },
    [=](manager_retry_atom) {
      auto& st = self->state;
      if (st.session.empty() && st.agent)
        open_session(self, st.first);
    },
    [=](heartbeat_atom, pb::Heartbeat hb) {
      auto& st = self->state;
      if (st.session.empty())
        return;
      hb.set_session_id(st.session);
      call(self, pb::Envelope::HEARTBEAT, hb.SerializeAsString());
    },
    [=](status_batch_atom, pb::StatusBatch b) {
      auto& st = self->state;
      st.unsent.push_back(std::move(b));
      while (st.unsent.size() > pending_status_max)
        st.unsent.pop_front();
      flush_unsent(self);
    },
    [=](rpc_atom, int32_t kind, const std::string&,
        const std::string& bytes) -> caf::result<std::string> {
      auto& st = self->state;
      pb::Assignments as;
      if (kind != pb::Envelope::ASSIGN || !as.ParseFromString(bytes))
        return make_error(errc::bad_request, "not an assignment");
      // Only the session we hold: a superseded one's stragglers would
      // undo newer assignments.
      if (st.session.empty() && st.early.size() < 16) {
        st.early.push_back(std::move(as));
        return std::string{};
      }
      if (as.session_id() != st.session || !st.agent)
        return std::string{};
      as.set_session_id(st.agent_session);
      self->send(st.agent, assign_atom::value, std::move(as));
      return std::string{};
    },
  };
}

} // namespace

dispatcher_proxy_actor_type
spawn_dispatcher_proxy(caf::actor_system& sys,
                       net::cluster_transport_actor_type transport,
                       std::vector<std::string> managers) {
  return sys.spawn(dispatcher_proxy_actor, std::move(transport),
                   std::move(managers));
}

} // namespace actorswarm::dispatcher
