#include "net/cluster_transport.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::net {

namespace {

struct link {
  std::string addr;
  cluster_peer_actor_type remote;
  bool dialing = false;
  uint64_t backoff_ms = 0;
  std::deque<pb::Envelope> queue;
};

struct transport_state {
  cluster_transport_config cfg;
  cluster_raft_actor_type raft;
  std::unique_ptr<envelope_sealer> sealer;
  envelope_checker checker;
  std::map<uint64_t, link> links;                       // by raft id
  std::map<int32_t, cluster_server_actor_type> servers; // by envelope kind
  static inline const char* name = "cluster_transport";
};

using transport_t
  = cluster_transport_actor_type::stateful_base<transport_state>;

// The one place where CAF forces dynamic handles on us: the middleman hands
// out remote actors (connect_atom's answer, current_sender() of a message
// that came over BASP) as untyped pointers. They are other nodes'
// transports; from here on they are typed. A remote actor that is not a
// transport fails its requests with an unexpected-message error.
cluster_peer_actor_type to_peer(caf::strong_actor_ptr remote) {
  return caf::actor_cast<cluster_peer_actor_type>(std::move(remote));
}

link& link_of(transport_t* self, uint64_t id) {
  return self->state.links[id];
}

void dial(transport_t* self, uint64_t id);

void on_connected(transport_t* self, uint64_t id,
                  cluster_peer_actor_type remote) {
  auto& l = link_of(self, id);
  l.dialing = false;
  l.backoff_ms = 0;
  if (l.remote == remote)
    return;
  l.remote = std::move(remote);
  self->monitor(l.remote);
  for (auto& e : l.queue)
    self->send(l.remote, std::move(e));
  l.queue.clear();
}

void retry_later(transport_t* self, uint64_t id) {
  auto& cfg = self->state.cfg;
  auto& l = link_of(self, id);
  l.dialing = false;
  l.backoff_ms = std::clamp(l.backoff_ms * 2, cfg.backoff_min_ms,
                            cfg.backoff_max_ms);
  self->delayed_send(self, std::chrono::milliseconds(l.backoff_ms),
                     redial_atom::value, id);
}

bool split_addr(const std::string& addr, std::string& host, uint16_t& port) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 == addr.size())
    return false;
  auto digits = addr.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos
      || digits.size() > 5 || std::stoul(digits) > 65535)
    return false;
  host = addr.substr(0, colon);
  port = static_cast<uint16_t>(std::stoul(digits));
  return true;
}

// Opens (or reuses) CAF's connection to `addr` and hands the remote
// transport to `on_ok`, or the reason to `on_err`.
template <class OnOk, class OnErr>
void connect(transport_t* self, const std::string& addr, OnOk on_ok,
             OnErr on_err) {
  std::string host;
  uint16_t port = 0;
  if (!split_addr(addr, host, port)) {
    on_err(make_error(errc::invalid_spec,
                      "invalid address \"" + addr + "\": expected IP:PORT"));
    return;
  }
  auto mm = self->system().middleman().actor_handle();
  self
    ->request(mm, std::chrono::milliseconds(self->state.cfg.dial_timeout_ms),
              caf::connect_atom::value, std::move(host), port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>&) mutable {
        if (!ptr) {
          on_err(make_error(errc::unavailable,
                            "no actorswarm node listens on " + addr));
          return;
        }
        on_ok(to_peer(std::move(ptr)));
      },
      [=](caf::error&) mutable {
        on_err(make_error(errc::unavailable, "cannot connect to " + addr));
      });
}

void dial(transport_t* self, uint64_t id) {
  auto& l = link_of(self, id);
  if (l.remote || l.dialing || l.addr.empty())
    return;
  l.dialing = true;
  connect(
    self, l.addr,
    [=](cluster_peer_actor_type remote) { on_connected(self, id, remote); },
    [=](const caf::error&) { retry_later(self, id); });
}

void send_raft(transport_t* self, pb::RaftMessage& m) {
  auto& l = link_of(self, m.to());
  auto env = self->state.sealer->seal(pb::Envelope::RAFT,
                                      m.SerializeAsString());
  if (l.remote) {
    self->send(l.remote, std::move(env));
    return;
  }
  l.queue.push_back(std::move(env));
  while (l.queue.size() > self->state.cfg.queue_max)
    l.queue.pop_front();
  dial(self, m.to());
}

bool accepted(transport_t* self, const pb::Envelope& env) {
  if (auto ok = self->state.checker.accept(env); !ok) {
    logger("cluster")->warn("dropped envelope from={} reason={}",
                            env.sender_node_id(), ok.error().message);
    return false;
  }
  return true;
}

void receive(transport_t* self, const pb::Envelope& env) {
  auto& st = self->state;
  if (!accepted(self, env))
    return;
  pb::RaftMessage m;
  if (env.kind() != pb::Envelope::RAFT || !m.ParseFromString(env.payload())
      || m.from() != env.sender_raft_id())
    return;
  // Routing hint only (DESIGN.md): answer over the sender's connection
  // until we have our own.
  if (!link_of(self, m.from()).remote)
    if (auto s = to_peer(self->current_sender()); s)
      on_connected(self, m.from(), s);
  if (st.raft)
    self->send(st.raft, raft_msg_atom::value, std::move(m));
}

// A request from a remote transport: its server of that kind answers.
caf::result<pb::Envelope> serve(transport_t* self, const pb::Envelope& env) {
  auto& st = self->state;
  if (!accepted(self, env))
    return make_error(errc::refused, "envelope refused");
  auto kind = static_cast<int32_t>(env.kind());
  auto i = st.servers.find(kind);
  if (i == st.servers.end() || kind == pb::Envelope::RAFT
      || kind == pb::Envelope::REPLY)
    return make_error(errc::unavailable,
                      "this node does not serve requests of kind "
                        + pb::Envelope::Kind_Name(env.kind()));
  auto rp = self->make_response_promise<pb::Envelope>();
  self
    ->request(i->second, std::chrono::milliseconds(st.cfg.rpc_timeout_ms),
              rpc_atom::value, kind, env.payload())
    .then(
      [=](std::string& reply) mutable {
        rp.deliver(self->state.sealer->seal(pb::Envelope::REPLY,
                                            std::move(reply)));
      },
      [=](caf::error& err) mutable {
        logger("cluster")->warn("request of kind {} from {} failed here: {}",
                                pb::Envelope::Kind_Name(env.kind()),
                                env.sender_node_id(),
                                self->system().render(err));
        rp.deliver(std::move(err));
      });
  return rp;
}

// Sends one request envelope to `remote`; answers `rp` with the reply's
// payload.
void call(transport_t* self, cluster_peer_actor_type remote, int32_t kind,
          std::string payload, caf::typed_response_promise<std::string> rp) {
  auto env = self->state.sealer->seal(static_cast<pb::Envelope::Kind>(kind),
                                      std::move(payload));
  self
    ->request(remote, std::chrono::milliseconds(self->state.cfg.rpc_timeout_ms),
              cluster_request_atom::value, std::move(env))
    .then(
      [=](pb::Envelope& reply) mutable {
        if (!accepted(self, reply) || reply.kind() != pb::Envelope::REPLY) {
          rp.deliver(make_error(errc::refused, "malformed reply"));
          return;
        }
        rp.deliver(std::move(*reply.mutable_payload()));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

void call_addr(transport_t* self, const std::string& addr, int32_t kind,
               std::string payload,
               caf::typed_response_promise<std::string> rp) {
  connect(
    self, addr,
    [=](cluster_peer_actor_type remote) mutable {
      call(self, std::move(remote), kind, payload, rp);
    },
    [=](caf::error err) mutable { rp.deliver(std::move(err)); });
}

void on_down(transport_t* self, const caf::down_msg& dm) {
  for (auto& [id, l] : self->state.links) {
    if (!l.remote || l.remote.address() != dm.source)
      continue;
    l.remote = nullptr;
    if (self->state.raft)
      self->send(self->state.raft, peer_down_atom::value, id);
    retry_later(self, id);
  }
}

cluster_transport_actor_type::behavior_type
cluster_transport_actor(transport_t* self, cluster_transport_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.sealer = std::make_unique<envelope_sealer>(self->state.cfg.self);
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  using reply_t = caf::result<std::string>;
  return {
    [=](raft_send_atom, pb::RaftMessage& m) { send_raft(self, m); },
    [=](const pb::Envelope& env) { receive(self, env); },
    [=](cluster_request_atom, const pb::Envelope& env) {
      return serve(self, env);
    },
    [=](cluster_call_atom, uint64_t id, int32_t kind,
        std::string& payload) -> reply_t {
      auto rp = self->make_response_promise<std::string>();
      auto& l = link_of(self, id);
      if (l.remote)
        call(self, l.remote, kind, std::move(payload), rp);
      else if (!l.addr.empty())
        call_addr(self, l.addr, kind, std::move(payload), rp);
      else
        rp.deliver(make_error(errc::unavailable,
                              "no address for manager " + std::to_string(id)));
      return rp;
    },
    [=](cluster_call_atom, std::string& addr, int32_t kind,
        std::string& payload) -> reply_t {
      auto rp = self->make_response_promise<std::string>();
      call_addr(self, addr, kind, std::move(payload), rp);
      return rp;
    },
    [=](serve_atom, int32_t kind, cluster_server_actor_type& server) {
      self->state.servers[kind] = std::move(server);
    },
    [=](raft_members_atom, const pb::ConfState& cs) {
      for (const auto& m : cs.voters())
        if (m.raft_id() != self->state.cfg.self.raft_id && !m.addr().empty())
          link_of(self, m.raft_id()).addr = m.addr();
    },
    [=](cluster_raft_atom, cluster_raft_actor_type& raft) {
      self->state.raft = std::move(raft);
    },
    [=](cluster_raft_id_atom, uint64_t id) {
      self->state.cfg.self.raft_id = id;
      self->state.sealer->set_raft_id(id);
    },
    [=](redial_atom, uint64_t id) { dial(self, id); },
  };
}

} // namespace

cluster_transport_actor_type
spawn_cluster_transport(caf::actor_system& sys, cluster_transport_config cfg) {
  return sys.spawn(cluster_transport_actor, std::move(cfg));
}

result<uint16_t>
publish_transport(caf::actor_system& sys,
                  const cluster_transport_actor_type& transport,
                  const std::string& host, uint16_t port) {
  auto x = sys.middleman().publish(transport, port, host.c_str(), true);
  if (!x)
    return fail(errc::refused, "cannot listen on " + host + ":"
                                 + std::to_string(port) + ": "
                                 + sys.render(x.error()));
  return *x;
}

} // namespace actorswarm::net
