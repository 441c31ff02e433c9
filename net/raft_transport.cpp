#include "net/raft_transport.hpp"

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
  caf::actor remote;
  bool dialing = false;
  uint64_t backoff_ms = 0;
  std::deque<pb::Envelope> queue;
  std::unique_ptr<envelope_sealer> sealer;
};

struct transport_state {
  raft_transport_config cfg;
  caf::actor raft;
  envelope_checker checker;
  std::map<uint64_t, link> links;  // by raft id
  static inline const char* name = "raft_transport";
};

using transport_t = caf::stateful_actor<transport_state>;

link& link_of(transport_t* self, uint64_t id) {
  auto& l = self->state.links[id];
  if (!l.sealer)
    l.sealer = std::make_unique<envelope_sealer>(self->state.cfg.self);
  return l;
}

void dial(transport_t* self, uint64_t id);

void on_connected(transport_t* self, uint64_t id, caf::actor remote) {
  auto& l = link_of(self, id);
  l.dialing = false;
  l.backoff_ms = 0;
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

void dial(transport_t* self, uint64_t id) {
  auto& l = link_of(self, id);
  if (l.remote || l.dialing || l.addr.empty())
    return;
  auto colon = l.addr.rfind(':');
  if (colon == std::string::npos)
    return;
  auto host = l.addr.substr(0, colon);
  auto port = static_cast<uint16_t>(std::stoul(l.addr.substr(colon + 1)));
  l.dialing = true;
  auto mm = self->system().middleman().actor_handle();
  self
    ->request(mm, std::chrono::milliseconds(self->state.cfg.dial_timeout_ms),
              caf::connect_atom::value, std::move(host), port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>&) {
        if (!ptr) {
          retry_later(self, id);
          return;
        }
        on_connected(self, id, caf::actor_cast<caf::actor>(ptr));
      },
      [=](caf::error&) { retry_later(self, id); });
}

void send_raft(transport_t* self, pb::RaftMessage& m) {
  auto& l = link_of(self, m.to());
  auto env = l.sealer->seal(pb::Envelope::RAFT, m.SerializeAsString());
  if (l.remote) {
    self->send(l.remote, std::move(env));
    return;
  }
  l.queue.push_back(std::move(env));
  while (l.queue.size() > self->state.cfg.queue_max)
    l.queue.pop_front();
  dial(self, m.to());
}

void receive(transport_t* self, const pb::Envelope& env) {
  auto& st = self->state;
  if (auto ok = st.checker.accept(env); !ok) {
    logger("raft")->warn("dropped envelope from={} reason={}",
                         env.sender_node_id(), ok.error().message);
    return;
  }
  pb::RaftMessage m;
  if (env.kind() != pb::Envelope::RAFT || !m.ParseFromString(env.payload())
      || m.from() != env.sender_raft_id())
    return;
  // Routing hint only (DESIGN.md): answer over the sender's connection
  // until we have our own.
  auto& l = link_of(self, m.from());
  if (!l.remote)
    if (auto s = caf::actor_cast<caf::actor>(self->current_sender()); s)
      on_connected(self, m.from(), s);
  if (st.raft)
    self->send(st.raft, raft_msg_atom::value, std::move(m));
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

caf::behavior transport_behavior(transport_t* self,
                                 raft_transport_config cfg) {
  self->state.cfg = std::move(cfg);
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  return {
    [=](raft_msg_atom, pb::RaftMessage& m) { send_raft(self, m); },
    [=](const pb::Envelope& env) { receive(self, env); },
    [=](peers_atom, const pb::ConfState& cs) {
      for (const auto& m : cs.voters())
        if (m.raft_id() != self->state.cfg.self.raft_id && !m.addr().empty())
          link_of(self, m.raft_id()).addr = m.addr();
    },
    [=](peers_atom, caf::actor& raft) { self->state.raft = std::move(raft); },
    [=](redial_atom, uint64_t id) { dial(self, id); },
  };
}

} // namespace

caf::actor spawn_raft_transport(caf::actor_system& sys,
                                raft_transport_config cfg) {
  return sys.spawn(transport_behavior, std::move(cfg));
}

result<uint16_t> publish_transport(caf::actor_system& sys,
                                   const caf::actor& transport,
                                   const std::string& host, uint16_t port) {
  auto x = sys.middleman().publish(transport, port, host.c_str(), true);
  if (!x)
    return fail(errc::refused, "cannot listen on " + host + ":"
                                 + std::to_string(port) + ": "
                                 + sys.render(x.error()));
  return *x;
}

} // namespace actorswarm::net
