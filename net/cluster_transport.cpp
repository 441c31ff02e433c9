#include "net/cluster_transport.hpp"

#include "net/raft_lane.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::net {

namespace {

// Connection ids the transport uses: the wire's id with the wire's
// generation in the top bits, so events of a replaced wire still in the
// mailbox never touch a connection of the new one.
constexpr int generation_shift = 48;
constexpr conn_id local_mask = (conn_id{1} << generation_shift) - 1;

// Reports the wire's events to the transport as messages. Lives as long as
// its wire (the wire reports nothing once destroyed).
class event_sink : public wire_events {
public:
  event_sink(caf::weak_actor_ptr transport, uint64_t generation)
    : transport_(std::move(transport)), generation_(generation) {
    // nop
  }

  void on_up(conn_id c, const peer_identity& p) override {
    tell(wire_up_atom::value, global(c), p.authenticated, p.node_id, p.role);
  }

  void on_frame(conn_id c, std::string frame) override {
    tell(wire_frame_atom::value, global(c), std::move(frame));
  }

  void on_down(conn_id c, const std::string& reason) override {
    tell(wire_down_atom::value, global(c), reason);
  }

private:
  conn_id global(conn_id c) const {
    return generation_ << generation_shift | (c & local_mask);
  }

  template <class... Ts>
  void tell(Ts&&... xs) {
    if (auto t = transport_.lock())
      caf::anon_send(caf::actor_cast<cluster_transport_actor_type>(t),
                     std::forward<Ts>(xs)...);
  }

  caf::weak_actor_ptr transport_;
  uint64_t generation_;
};

struct conn_info {
  peer_identity peer;
  bool up = false;
  // A joiner's connection: it sent its one JOIN.
  bool joiner_served = false;
  // Our join dial: closed once its reply arrived.
  bool close_after_reply = false;
  // The address we dialed (empty: inbound).
  std::string addr;
  // Frames waiting for the handshake.
  std::deque<std::string> pending;
  // Made under credentials older than reload number `stale` (0: current):
  // it answers what arrives on it, carries nothing new, and closes soon.
  uint64_t stale = 0;
};

struct link {
  std::string addr;
  conn_id conn = 0;
  uint64_t backoff_ms = 0;
  // A redial is scheduled; until then sends are dropped (Raft retransmits).
  bool waiting = false;
};

struct pending_call {
  conn_id conn = 0;
  caf::typed_response_promise<std::string> rp;
};

struct transport_state {
  cluster_transport_config cfg;
  cluster_raft_actor_type raft;
  std::unique_ptr<envelope_sealer> sealer;
  // The sink outlives its wire: declared first, destroyed last.
  std::unique_ptr<event_sink> sink;
  std::unique_ptr<wire_port> wire;
  uint64_t generation = 0;
  bool listening = false;
  uint64_t reloads = 0;
  // The Raft group's members (node ids), on a manager.
  std::set<std::string> voters;
  std::map<conn_id, conn_info> conns;
  std::map<uint64_t, link> links;         // by raft id
  std::map<std::string, conn_id> by_addr; // dialed connections
  std::map<uint64_t, pending_call> calls; // by request id
  uint64_t next_request = 1;
  std::map<int32_t, cluster_server_actor_type> servers; // by envelope kind
  // Node ids whose certificates are refused (node rm); every new wire too.
  std::vector<std::string> revoked;
  static inline const char* name = "cluster_transport";

  // The raft actor may outlive this actor (and its wire) a moment.
  ~transport_state() {
    if (cfg.lane)
      cfg.lane->attach(nullptr, std::nullopt);
  }

  // The lane follows the wire and this node's identity.
  void attach_lane() {
    if (cfg.lane)
      cfg.lane->attach(wire.get(), *sealer);
  }
};

using transport_t
  = cluster_transport_actor_type::stateful_base<transport_state>;

auto log() {
  return logger("cluster");
}

bool current(transport_t* self, conn_id c) {
  return c != 0 && c >> generation_shift == self->state.generation;
}

conn_id to_global(transport_t* self, conn_id local) {
  return self->state.generation << generation_shift | (local & local_mask);
}

void close_conn(transport_t* self, conn_id c) {
  if (current(self, c) && self->state.wire)
    self->state.wire->close(c & local_mask);
}

void send_frame(transport_t* self, conn_id c, const pb::Envelope& env) {
  auto& st = self->state;
  auto i = st.conns.find(c);
  if (i == st.conns.end())
    return;
  auto frame = env.SerializeAsString();
  if (i->second.up) {
    if (current(self, c) && st.wire)
      st.wire->send(c & local_mask, std::move(frame));
    return;
  }
  i->second.pending.push_back(std::move(frame));
  while (i->second.pending.size() > st.cfg.queue_max)
    i->second.pending.pop_front();
}

bool split_addr(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == addr.size())
    return false;
  auto digits = addr.substr(colon + 1);
  return digits.find_first_not_of("0123456789") == std::string::npos
         && digits.size() <= 5 && std::stoul(digits) <= 65535;
}

// Dials `addr`; 0 when there is no wire.
conn_id dial(transport_t* self, const std::string& addr, dial_options opts) {
  auto& st = self->state;
  if (!st.wire)
    return 0;
  opts.timeout_ms = st.cfg.dial_timeout_ms;
  auto c = to_global(self, st.wire->dial(addr, std::move(opts)));
  st.conns[c].addr = addr;
  return c;
}

// Whether `c` is open and made under the current credentials.
bool usable(transport_t* self, conn_id c) {
  auto i = self->state.conns.find(c);
  return i != self->state.conns.end() && i->second.stale == 0;
}

// The connection to `addr`: the one we dialed before, or a new one.
conn_id conn_to(transport_t* self, const std::string& addr) {
  auto& st = self->state;
  if (auto i = st.by_addr.find(addr);
      i != st.by_addr.end() && usable(self, i->second))
    return i->second;
  auto c = dial(self, addr, {});
  if (c != 0)
    st.by_addr[addr] = c;
  return c;
}

// Sends one request on `c`; answers `rp` with the reply's payload.
void call(transport_t* self, conn_id c, pb::Envelope::Kind kind,
          std::string payload, caf::typed_response_promise<std::string> rp) {
  auto& st = self->state;
  if (st.conns.count(c) == 0) {
    rp.deliver(make_error(errc::unavailable, "no connection"));
    return;
  }
  auto id = st.next_request++;
  auto env = st.sealer->seal(kind, std::move(payload));
  env.set_request_id(id);
  st.calls[id] = pending_call{c, rp};
  send_frame(self, c, env);
  self->delayed_send(self, std::chrono::milliseconds(st.cfg.rpc_timeout_ms),
                     cluster_timeout_atom::value, id);
}

void call_addr(transport_t* self, const std::string& addr,
               pb::Envelope::Kind kind, std::string payload,
               caf::typed_response_promise<std::string> rp) {
  if (!split_addr(addr)) {
    rp.deliver(make_error(errc::invalid_spec, "invalid address \"" + addr
                                                + "\": expected IP:PORT"));
    return;
  }
  auto c = conn_to(self, addr);
  if (c == 0) {
    rp.deliver(make_error(errc::unavailable, "this node has no cluster "
                                             "port open"));
    return;
  }
  call(self, c, kind, std::move(payload), std::move(rp));
}

void retry_later(transport_t* self, uint64_t id) {
  auto& cfg = self->state.cfg;
  auto& l = self->state.links[id];
  if (l.waiting)
    return;
  l.waiting = true;
  l.backoff_ms = std::clamp(l.backoff_ms * 2, cfg.backoff_min_ms,
                            cfg.backoff_max_ms);
  self->delayed_send(self, std::chrono::milliseconds(l.backoff_ms),
                     redial_atom::value, id);
}

// The connection of Raft peer `id`: one made under our current
// credentials, else a new one to its address, else an older one still open
// (a just-promoted node knows its leader only by the connection it came
// over until the leader's snapshot names the members).
conn_id link_conn(transport_t* self, uint64_t id) {
  auto& st = self->state;
  auto& l = st.links[id];
  if (usable(self, l.conn))
    return l.conn;
  if (!l.waiting && !l.addr.empty())
    if (auto c = conn_to(self, l.addr); c != 0)
      return l.conn = c;
  if (st.conns.count(l.conn) != 0)
    return l.conn;
  return l.conn = 0;
}

void send_raft(transport_t* self, pb::RaftMessage& m) {
  auto& st = self->state;
  auto c = link_conn(self, m.to());
  if (c == 0)
    return; // unreachable for now: Raft retransmits
  send_frame(self, c,
             st.sealer->seal(pb::Envelope::RAFT, m.SerializeAsString()));
  // Open: the raft actor's next messages to this peer go straight to the
  // wire (net/raft_lane.hpp).
  if (st.cfg.lane && current(self, c) && st.conns[c].up)
    st.cfg.lane->open(m.to(), c & local_mask);
}

// -- the wire's events ------------------------------------------------------

void on_up(transport_t* self, conn_id c, bool authenticated,
           std::string node_id, std::string role) {
  auto& st = self->state;
  if (!current(self, c))
    return;
  auto& ci = st.conns[c];
  ci.up = true;
  ci.peer.authenticated = authenticated;
  ci.peer.node_id = std::move(node_id);
  ci.peer.role = std::move(role);
  for (auto& [id, l] : st.links)
    if (l.conn == c)
      l.backoff_ms = 0;
  auto pending = std::move(ci.pending);
  ci.pending.clear();
  for (auto& f : pending)
    st.wire->send(c & local_mask, std::move(f));
}

void on_down(transport_t* self, conn_id c, const std::string& reason) {
  auto& st = self->state;
  auto i = st.conns.find(c);
  if (i == st.conns.end())
    return;
  auto who = i->second.peer.node_id.empty() ? i->second.addr
                                            : i->second.peer.node_id;
  if (st.cfg.lane && current(self, c))
    st.cfg.lane->close(c & local_mask);
  st.conns.erase(i);
  for (auto a = st.by_addr.begin(); a != st.by_addr.end();)
    a = a->second == c ? st.by_addr.erase(a) : std::next(a);
  for (auto k = st.calls.begin(); k != st.calls.end();) {
    if (k->second.conn != c) {
      ++k;
      continue;
    }
    k->second.rp.deliver(make_error(errc::unavailable,
                                    "connection to " + who
                                      + " closed: " + reason));
    k = st.calls.erase(k);
  }
  for (auto& [id, l] : st.links) {
    if (l.conn != c)
      continue;
    l.conn = 0;
    if (st.raft)
      self->send(st.raft, peer_down_atom::value, id);
    retry_later(self, id);
  }
}

void reply(transport_t* self, conn_id c, uint64_t request_id,
           std::string payload, const failure* err) {
  auto env = self->state.sealer->seal(pb::Envelope::REPLY, std::move(payload));
  env.set_request_id(request_id);
  if (err) {
    env.set_code(static_cast<uint32_t>(err->code));
    env.set_error(err->message);
  }
  send_frame(self, c, env);
  // A joiner gets one answer, then the connection closes.
  if (auto i = self->state.conns.find(c);
      i != self->state.conns.end() && !i->second.peer.authenticated)
    close_conn(self, c);
}

// A request from a peer: its local server of that kind answers.
void serve(transport_t* self, conn_id c, const std::string& sender,
           pb::Envelope& env) {
  auto& st = self->state;
  auto kind = static_cast<int32_t>(env.kind());
  auto i = st.servers.find(kind);
  auto id = env.request_id();
  if (i == st.servers.end()) {
    auto f = fail(errc::unavailable, "this node does not serve requests of "
                                     "kind "
                                       + pb::Envelope::Kind_Name(env.kind()));
    reply(self, c, id, {}, &f);
    return;
  }
  self
    ->request(i->second, std::chrono::milliseconds(st.cfg.rpc_timeout_ms),
              rpc_atom::value, kind, sender, std::move(*env.mutable_payload()))
    .then(
      [=](std::string& out) { reply(self, c, id, std::move(out), nullptr); },
      [=](caf::error& err) {
        auto f = to_failure(err);
        log()->warn("request of kind {} from {} failed here: {}", kind, sender,
                    f.message);
        reply(self, c, id, {}, &f);
      });
}

void on_reply(transport_t* self, conn_id c, pb::Envelope& env) {
  auto& st = self->state;
  auto k = st.calls.find(env.request_id());
  if (k == st.calls.end() || k->second.conn != c)
    return; // late (timed out) or not ours
  auto rp = k->second.rp;
  st.calls.erase(k);
  if (env.code() != 0)
    rp.deliver(make_error(static_cast<errc>(env.code()), env.error()));
  else
    rp.deliver(std::move(*env.mutable_payload()));
  if (auto i = st.conns.find(c);
      i != st.conns.end() && i->second.close_after_reply)
    close_conn(self, c);
}

void on_raft(transport_t* self, conn_id c, const pb::Envelope& env) {
  auto& st = self->state;
  pb::RaftMessage m;
  if (!m.ParseFromString(env.payload()) || m.from() != env.sender_raft_id()
      || m.from() == 0) {
    log()->warn("dropped malformed Raft message from {}", env.sender_node_id());
    return;
  }
  // Routing hint only (DESIGN.md): answer over the sender's connection
  // until we have our own.
  auto& l = st.links[m.from()];
  if (!usable(self, l.conn)
      && (usable(self, c) || st.conns.count(l.conn) == 0)) {
    l.conn = c;
    l.waiting = false;
  }
  if (st.raft)
    self->send(st.raft, raft_msg_atom::value, std::move(m));
}

void on_frame(transport_t* self, conn_id c, const std::string& frame) {
  auto& st = self->state;
  auto i = st.conns.find(c);
  if (i == st.conns.end() || !i->second.up)
    return;
  // Connections leave the map only on the wire's down event, never while a
  // frame is handled: the reference stays valid (no copy per frame).
  const auto& peer = i->second.peer;
  pb::Envelope env;
  auto refuse = [&](const std::string& why) {
    log()->warn("closed the connection of {}: {}",
                peer.authenticated ? peer.node_id : "a joiner", why);
    close_conn(self, c);
  };
  if (!env.ParseFromString(frame))
    return refuse("malformed envelope");
  if (auto ok = authorize(env, peer, st.voters); !ok) {
    // A peer that lies about itself or breaks the protocol loses its
    // connection; a member asking for what its role does not allow (a
    // removed manager's Raft traffic, a worker's proposal) is refused that
    // one message and keeps its connection for what it may do.
    if (!peer.authenticated || env.sender_node_id() != peer.node_id
        || ok.error().code != errc::refused)
      return refuse(ok.error().message);
    if (env.kind() != pb::Envelope::RAFT && env.kind() != pb::Envelope::REPLY)
      reply(self, c, env.request_id(), {}, &ok.error());
    else
      log()->debug("dropped: {}", ok.error().message);
    return;
  }
  if (!peer.authenticated) {
    if (i->second.joiner_served)
      return refuse("a second request from a joiner");
    i->second.joiner_served = true;
  }
  switch (env.kind()) {
    case pb::Envelope::REPLY:
      on_reply(self, c, env);
      break;
    case pb::Envelope::RAFT:
      on_raft(self, c, env);
      break;
    default:
      serve(self, c, peer.node_id, env);
  }
}

// -- credentials ------------------------------------------------------------

// Replaces the wire: with credentials it listens, without it only dials.
// Every connection of the old wire is gone.
status replace_wire(transport_t* self,
                    const std::optional<wire_credentials>& c) {
  auto& st = self->state;
  if (st.cfg.lane)
    st.cfg.lane->attach(nullptr, std::nullopt);
  st.wire.reset();
  st.sink.reset();
  for (auto& [id, call] : st.calls)
    call.rp.deliver(make_error(errc::unavailable, "cluster port reopened"));
  st.calls.clear();
  st.conns.clear();
  st.by_addr.clear();
  for (auto& [id, l] : st.links)
    l.conn = 0;
  ++st.generation;
  st.sink = std::make_unique<event_sink>(caf::weak_actor_ptr{self->ctrl()},
                                         st.generation);
  auto w = st.cfg.make_wire(*st.sink, c, st.cfg.listen_host,
                            st.cfg.listen_port);
  st.listening = false;
  if (!w) {
    auto f = fail(w.error().code, "cannot listen on " + st.cfg.listen_host + ":"
                                    + std::to_string(st.cfg.listen_port) + ": "
                                    + w.error().message);
    log()->error("{}", f.message);
    return f;
  }
  st.wire = std::move(*w);
  st.attach_lane();
  // Without credentials the node left its swarm: that swarm's removed
  // nodes mean nothing to the next one.
  if (!c)
    st.revoked.clear();
  if (!st.revoked.empty())
    st.wire->set_revoked(st.revoked);
  st.listening = c.has_value();
  if (st.listening)
    log()->info("cluster port open addr={}:{} (mutual TLS)", st.cfg.listen_host,
                st.wire->port());
  return ok_status();
}

status set_creds(transport_t* self, const pb::NodeCredentials& x) {
  auto& st = self->state;
  auto c = to_wire(x);
  if (auto colon = x.listen_addr().rfind(':');
      split_addr(x.listen_addr()) && colon != std::string::npos) {
    auto host = x.listen_addr().substr(0, colon);
    auto port
      = static_cast<uint16_t>(std::stoul(x.listen_addr().substr(colon + 1)));
    if (host != st.cfg.listen_host || port != st.cfg.listen_port) {
      st.cfg.listen_host = host;
      st.cfg.listen_port = port;
      if (c)
        return replace_wire(self, c); // listen there
    }
  }
  if (c && st.listening && st.wire) {
    if (auto ok = st.wire->reload(*c); !ok) {
      log()->error("new credentials refused: {}", ok.error().message);
      return ok;
    }
    // Peers know us by the certificate of each connection's handshake:
    // new traffic goes on new connections, the old ones answer what is
    // under way and then close.
    auto n = ++st.reloads;
    for (auto& [id, ci] : st.conns)
      if (ci.stale == 0)
        ci.stale = n;
    self->delayed_send(self, std::chrono::milliseconds(st.cfg.rpc_timeout_ms),
                       cluster_retire_atom::value, n);
    return ok_status();
  }
  return replace_wire(self, c);
}

cluster_transport_actor_type::behavior_type
cluster_transport_actor(transport_t* self, cluster_transport_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.sealer = std::make_unique<envelope_sealer>(st.cfg.self);
  replace_wire(self, to_wire(st.cfg.creds));
  using reply_t = caf::result<std::string>;
  return {
    [=](raft_send_atom, pb::RaftMessage& m) { send_raft(self, m); },
    [=](cluster_call_atom, uint64_t id, int32_t kind,
        std::string& payload) -> reply_t {
      auto rp = self->make_response_promise<std::string>();
      auto& l = self->state.links[id];
      auto k = static_cast<pb::Envelope::Kind>(kind);
      if (l.addr.empty())
        rp.deliver(make_error(errc::unavailable,
                              "no address for manager " + std::to_string(id)));
      else if (auto c = link_conn(self, id); c != 0)
        call(self, c, k, std::move(payload), rp);
      else
        call_addr(self, l.addr, k, std::move(payload), rp);
      return rp;
    },
    [=](cluster_call_atom, std::string& addr, int32_t kind,
        std::string& payload) -> reply_t {
      auto rp = self->make_response_promise<std::string>();
      call_addr(self, addr, static_cast<pb::Envelope::Kind>(kind),
                std::move(payload), rp);
      return rp;
    },
    [=](cluster_join_atom, std::string& addr, std::string& pin,
        std::string& payload) -> reply_t {
      auto rp = self->make_response_promise<std::string>();
      if (!split_addr(addr)) {
        rp.deliver(make_error(errc::invalid_spec, "invalid address \"" + addr
                                                    + "\": expected IP:PORT"));
        return rp;
      }
      dial_options opts;
      opts.pinned_root = std::move(pin);
      auto c = dial(self, addr, std::move(opts));
      if (c == 0) {
        rp.deliver(make_error(errc::unavailable, "no cluster wire"));
        return rp;
      }
      self->state.conns[c].close_after_reply = true;
      call(self, c, pb::Envelope::JOIN, std::move(payload), rp);
      return rp;
    },
    [=](cluster_creds_atom, const pb::NodeCredentials& x) -> caf::result<bool> {
      if (auto ok = set_creds(self, x); !ok)
        return make_error(ok.error());
      return true;
    },
    [=](serve_atom, int32_t kind, cluster_server_actor_type& server) {
      self->state.servers[kind] = std::move(server);
    },
    [=](raft_members_atom, const pb::ConfState& cs) {
      auto& voters = self->state.voters;
      voters.clear();
      if (self->state.cfg.lane)
        self->state.cfg.lane->clear(); // addresses may have changed
      for (const auto& m : cs.voters())
        if (!m.node_id().empty())
          voters.insert(m.node_id());
      for (const auto& m : cs.voters())
        if (m.raft_id() != self->state.cfg.self.raft_id && !m.addr().empty())
          self->state.links[m.raft_id()].addr = m.addr();
    },
    [=](cluster_raft_atom, cluster_raft_actor_type& raft) {
      self->state.raft = std::move(raft);
    },
    [=](cluster_raft_id_atom, uint64_t id) {
      self->state.cfg.self.raft_id = id;
      self->state.sealer->set_raft_id(id);
      self->state.attach_lane();
    },
    [=](redial_atom, uint64_t id) {
      auto& l = self->state.links[id];
      l.waiting = false;
      link_conn(self, id);
    },
    [=](cluster_timeout_atom, uint64_t id) {
      auto& calls = self->state.calls;
      if (auto k = calls.find(id); k != calls.end()) {
        k->second.rp.deliver(make_error(errc::timeout, "no answer in time"));
        calls.erase(k);
      }
    },
    [=](cluster_revoke_atom, std::vector<std::string>& ids) {
      auto& st = self->state;
      if (ids == st.revoked)
        return;
      log()->info("refusing the certificates of {} removed node(s)",
                  ids.size());
      st.revoked = std::move(ids);
      if (st.wire)
        st.wire->set_revoked(st.revoked);
    },
    [=](cluster_retire_atom, uint64_t n) {
      for (auto& [id, ci] : self->state.conns)
        if (ci.stale != 0 && ci.stale <= n)
          close_conn(self, id);
    },
    [=](wire_up_atom, uint64_t c, bool authenticated, std::string& node_id,
        std::string& role) {
      on_up(self, c, authenticated, std::move(node_id), std::move(role));
    },
    [=](wire_frame_atom, uint64_t c, const std::string& frame) {
      on_frame(self, c, frame);
    },
    [=](wire_down_atom, uint64_t c, const std::string& reason) {
      on_down(self, c, reason);
    },
  };
}

} // namespace

std::optional<wire_credentials> to_wire(const pb::NodeCredentials& x) {
  if (x.cert_pem().empty() || x.key_pem().empty())
    return std::nullopt;
  return wire_credentials{x.cert_pem(), x.key_pem(), x.trusted_roots_pem(),
                          x.chain_pem(), x.cluster_id()};
}

cluster_transport_actor_type
spawn_cluster_transport(caf::actor_system& sys, cluster_transport_config cfg) {
  return sys.spawn(cluster_transport_actor, std::move(cfg));
}

} // namespace actorswarm::net
