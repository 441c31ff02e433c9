#include "actors/dispatcher/agent_server_actor.hpp"

#include <map>

#include "caf/all.hpp"

#include "actors/store/store_interface.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::dispatcher {

namespace {

constexpr auto assign_timeout = std::chrono::seconds(10);
constexpr auto assign_retry = std::chrono::milliseconds(200);
constexpr int assign_attempts = 3;
constexpr auto local_timeout = std::chrono::seconds(10);

// Passes one assignment message on; a few attempts, then the proxy stops
// (the server then refuses the worker's heartbeats, so it opens a new
// session, which starts with the full set).
void deliver(agent_proxy_actor_type::pointer self,
             const net::cluster_transport_actor_type& transport,
             const std::string& addr, const std::string& bytes,
             int32_t attempt) {
  self
    ->request(transport, assign_timeout, cluster_call_atom::value, addr,
              static_cast<int32_t>(pb::Envelope::ASSIGN), bytes)
    .then([](const std::string&) {},
          [=](caf::error& err) {
            if (attempt + 1 < assign_attempts) {
              self->delayed_send(self, assign_retry, assign_retry_atom::value,
                                 bytes, attempt + 1);
              return;
            }
            logger("dispatcher")
              ->warn("worker {} unreachable: {}", addr,
                     to_failure(err).message);
            self->quit();
          });
}

// Stands in for the agent of `addr` towards the dispatcher.
agent_proxy_actor_type::behavior_type
agent_proxy_actor(agent_proxy_actor_type::pointer self,
                  net::cluster_transport_actor_type transport,
                  std::string addr) {
  return {
    [=](assign_atom, const pb::Assignments& as) {
      deliver(self, transport, addr, as.SerializeAsString(), 0);
    },
    [=](assign_retry_atom, const std::string& bytes, int32_t attempt) {
      deliver(self, transport, addr, bytes, attempt);
    },
  };
}

struct server_state {
  session_host_actor_type dispatcher;
  net::cluster_transport_actor_type transport;
  store::store_actor_type store;
  std::map<std::string, agent_proxy_actor_type> proxies; // by node id
  static inline const char* name = "agent_server";
};

using server_ptr = agent_server_actor_type::stateful_pointer<server_state>;

// A node speaks only for itself: the node id a request names must be the
// sender's, the CN of its verified certificate.
caf::error not_sender(const std::string& named, const std::string& sender) {
  return make_error(errc::refused, "node " + sender
                                     + " sent a request for node " + named
                                     + ": a node speaks for itself "
                                       "only");
}

caf::result<std::string> open_session(server_ptr self,
                                      const std::string& sender,
                                      const std::string& bytes) {
  pb::SessionRequest req;
  if (!req.ParseFromString(bytes) || req.node_id().empty()
      || req.addr().empty())
    return make_error(errc::bad_request, "malformed session request");
  if (req.node_id() != sender)
    return not_sender(req.node_id(), sender);
  auto& st = self->state;
  auto& p = st.proxies[req.node_id()];
  if (p)
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  p = self->spawn(agent_proxy_actor, st.transport, req.addr());
  self->monitor(p);
  auto rp = self->make_response_promise<std::string>();
  auto store = st.store;
  assignee_actor_type assignee = p;
  self
    ->request(st.dispatcher, local_timeout, session_atom::value, req, assignee)
    .then(
      [=](pb::SessionReply& r) mutable {
        self->request(store, local_timeout, raft_status_atom::value)
          .then(
            [=](const raft::raft_status_ptr& s) mutable {
              if (s)
                for (const auto& m : s->members.voters())
                  r.add_managers(m.addr());
              rp.deliver(r.SerializeAsString());
            },
            [=](caf::error&) mutable { rp.deliver(r.SerializeAsString()); });
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

agent_server_actor_type::behavior_type
agent_server_actor(server_ptr self, session_host_actor_type dispatcher,
                   net::cluster_transport_actor_type transport,
                   store::store_actor_type store) {
  self->state.dispatcher = std::move(dispatcher);
  self->state.transport = std::move(transport);
  self->state.store = std::move(store);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& ps = self->state.proxies;
    for (auto i = ps.begin(); i != ps.end(); ++i)
      if (i->second.address() == dm.source) {
        ps.erase(i);
        break;
      }
  });
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    for (auto& [id, p] : self->state.proxies)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  return {
    [=](rpc_atom, int32_t kind, const std::string& sender,
        const std::string& bytes) -> caf::result<std::string> {
      auto& st = self->state;
      switch (kind) {
        case pb::Envelope::SESSION:
          return open_session(self, sender, bytes);
        case pb::Envelope::HEARTBEAT: {
          pb::Heartbeat hb;
          if (!hb.ParseFromString(bytes))
            return make_error(errc::bad_request, "malformed heartbeat");
          if (hb.node_id() != sender)
            return not_sender(hb.node_id(), sender);
          if (st.proxies.count(hb.node_id()) == 0)
            return make_error(errc::not_found, "no session for this node "
                                               "here: open a new one");
          self->send(st.dispatcher, heartbeat_atom::value, hb);
          return std::string{};
        }
        case pb::Envelope::STATUS: {
          pb::StatusBatch b;
          if (!b.ParseFromString(bytes))
            return make_error(errc::bad_request, "malformed status batch");
          if (b.node_id() != sender)
            return not_sender(b.node_id(), sender);
          self->send(st.dispatcher, status_batch_atom::value, b);
          return std::string{};
        }
        default:
          return make_error(errc::bad_request, "not an agent request");
      }
    },
  };
}

} // namespace

agent_server_actor_type
spawn_agent_server(caf::actor_system& sys, session_host_actor_type dispatcher,
                   net::cluster_transport_actor_type transport,
                   store::store_actor_type store) {
  return sys.spawn(agent_server_actor, std::move(dispatcher),
                   std::move(transport), std::move(store));
}

} // namespace actorswarm::dispatcher
