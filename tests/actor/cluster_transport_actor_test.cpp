#include "net/cluster_transport.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/envelope.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;

// The transport over a fake wire that records what it is asked to do; the
// test plays the wire's events (connection up with a peer's identity,
// frames, connection down). What a peer may send, and what reaches the
// local servers and the raft peer, is decided here, above the TLS wire.

namespace {

// What the transport asked of the fake wire.
struct wire_log {
  struct dial_call {
    std::string addr;
    net::dial_options opts;
  };
  std::vector<dial_call> dials;
  std::vector<std::pair<net::conn_id, std::string>> frames;
  std::vector<net::conn_id> closed;
  std::vector<std::optional<net::wire_credentials>> made; // per wire
  std::vector<net::wire_credentials> reloads;
  std::vector<std::vector<std::string>> revoked; // per set_revoked call
};

using wire_log_ptr = std::shared_ptr<wire_log>;

class fake_wire : public net::wire_port {
public:
  explicit fake_wire(wire_log_ptr log) : log_(std::move(log)) {
  }
  net::conn_id dial(const std::string& addr, net::dial_options o) override {
    log_->dials.push_back({addr, o});
    return 100 + log_->dials.size();
  }
  void send(net::conn_id c, std::string frame) override {
    log_->frames.emplace_back(c, std::move(frame));
  }
  void close(net::conn_id c) override {
    log_->closed.push_back(c);
  }
  status reload(net::wire_credentials c) override {
    log_->reloads.push_back(std::move(c));
    return ok_status();
  }
  void set_revoked(std::vector<std::string> ids) override {
    log_->revoked.push_back(std::move(ids));
  }
  uint16_t port() const override {
    return 2377;
  }

private:
  wire_log_ptr log_;
};

// A local server of one kind: answers "re:<sender>:" + payload.
net::cluster_server_actor_type::behavior_type
echo_server(net::cluster_server_actor_type::pointer) {
  return {
    [=](rpc_atom, int32_t, const std::string& sender,
        const std::string& x) -> std::string {
      return "re:" + sender + ":" + x;
    },
  };
}

using raft_log = std::shared_ptr<std::vector<pb::RaftMessage>>;

net::cluster_raft_actor_type::behavior_type
raft_recorder(net::cluster_raft_actor_type::pointer, raft_log log) {
  return {
    [=](raft_msg_atom, const pb::RaftMessage& m) { log->push_back(m); },
    [=](peer_down_atom, uint64_t) {},
  };
}

pb::RaftMessage raft_message(uint64_t from, uint64_t to, uint64_t term) {
  pb::RaftMessage m;
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

// The transport's id of the fake wire's connection `c` (first wire).
constexpr net::conn_id conn(net::conn_id c) {
  return net::conn_id{1} << 48 | c;
}

pb::NodeCredentials creds_of(const std::string& cert) {
  pb::NodeCredentials x;
  x.set_cert_pem(cert);
  x.set_key_pem("KEY");
  x.set_trusted_roots_pem("ROOT");
  x.set_cluster_id("c1");
  return x;
}

struct transport_fixture : actor_fixture {
  net::cluster_transport_actor_type transport;
  wire_log_ptr wire = std::make_shared<wire_log>();
  net::envelope_sealer n2{{"n2", 2, 9}};

  transport_fixture() {
    net::cluster_transport_config cfg;
    cfg.self = {"n1", 1, 7};
    cfg.creds = creds_of("CERT1");
    cfg.make_wire =
      [log = wire](net::wire_events&,
                   const std::optional<net::wire_credentials>& c,
                   const std::string&,
                   uint16_t) -> result<std::unique_ptr<net::wire_port>> {
      log->made.push_back(c);
      return std::unique_ptr<net::wire_port>{new fake_wire(log)};
    };
    transport = track(net::spawn_cluster_transport(sys, cfg));
    drain();
  }

  void up(net::conn_id c, bool authenticated, const std::string& node,
          const std::string& role) {
    self->send(transport, wire_up_atom::value, conn(c), authenticated, node,
               role);
    drain();
  }

  void frame(net::conn_id c, const pb::Envelope& env) {
    self->send(transport, wire_frame_atom::value, conn(c),
               env.SerializeAsString());
    drain();
  }

  pb::Envelope request(pb::Envelope::Kind kind, std::string payload,
                       uint64_t id) {
    auto env = n2.seal(kind, std::move(payload));
    env.set_request_id(id);
    return env;
  }

  // The last frame the transport sent, parsed.
  pb::Envelope last_sent() {
    REQUIRE_FALSE(wire->frames.empty());
    pb::Envelope env;
    REQUIRE(env.ParseFromString(wire->frames.back().second));
    return env;
  }

  bool closed(net::conn_id c) {
    for (auto x : wire->closed)
      if (x == c)
        return true;
    return false;
  }

  void serve(pb::Envelope::Kind kind) {
    auto server = track(sys.spawn(echo_server));
    self->send(transport, serve_atom::value, static_cast<int32_t>(kind),
               server);
    drain();
  }
};

} // namespace

TEST_CASE_METHOD(transport_fixture,
                 "transport: its credentials open the cluster port, new ones "
                 "reload it, none close it",
                 "[actor]") {
  REQUIRE(wire->made.size() == 1);
  REQUIRE(wire->made[0].has_value());
  CHECK(wire->made[0]->cert_pem == "CERT1");
  self->send(transport, cluster_creds_atom::value, creds_of("CERT2"));
  drain();
  REQUIRE(wire->reloads.size() == 1);
  CHECK(wire->reloads[0].cert_pem == "CERT2");
  self->send(transport, cluster_creds_atom::value, pb::NodeCredentials{});
  drain();
  REQUIRE(wire->made.size() == 2);
  CHECK_FALSE(wire->made[1].has_value());
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: a request from a member goes to the local server "
                 "of its kind with the certificate's node id, and the REPLY "
                 "goes back on its connection",
                 "[actor]") {
  serve(pb::Envelope::SESSION);
  up(1, true, "n2", "swarm-worker");
  frame(1, request(pb::Envelope::SESSION, "hello", 41));
  auto r = last_sent();
  CHECK(wire->frames.back().first == 1);
  CHECK(r.kind() == pb::Envelope::REPLY);
  CHECK(r.request_id() == 41);
  CHECK(r.payload() == "re:n2:hello");
  CHECK(r.sender_node_id() == "n1");
  // Nobody serves HEARTBEAT here: the reply says so.
  frame(1, request(pb::Envelope::HEARTBEAT, "x", 42));
  auto none = last_sent();
  CHECK(none.request_id() == 42);
  CHECK(none.code() == static_cast<uint32_t>(errc::unavailable));
  CHECK_FALSE(closed(1));
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: a peer that claims another node loses its "
                 "connection, and a worker's Raft traffic, proposals, role "
                 "changes and assignments are refused",
                 "[actor]") {
  serve(pb::Envelope::PROPOSE);
  serve(pb::Envelope::ROLE);
  auto got = std::make_shared<std::vector<pb::RaftMessage>>();
  self->send(transport, cluster_raft_atom::value,
             track(sys.spawn(raft_recorder, got)));
  drain();
  up(1, true, "n3", "swarm-manager");
  frame(1, request(pb::Envelope::PROPOSE, "x", 1)); // sealed as n2
  CHECK(closed(1));
  CHECK(wire->frames.empty());
  up(2, true, "n2", "swarm-worker");
  frame(2,
        n2.seal(pb::Envelope::RAFT, raft_message(2, 1, 5).SerializeAsString()));
  CHECK(got->empty());
  CHECK(wire->frames.empty());
  uint64_t id = 10;
  for (auto kind : {pb::Envelope::PROPOSE, pb::Envelope::ROLE,
                    pb::Envelope::ASSIGN, pb::Envelope::CONTROL}) {
    INFO(pb::Envelope::Kind_Name(kind));
    frame(2, request(kind, "x", ++id));
    auto r = last_sent();
    CHECK(r.kind() == pb::Envelope::REPLY);
    CHECK(r.request_id() == id);
    CHECK(r.code() == static_cast<uint32_t>(errc::refused));
    CHECK(r.payload().empty());
  }
  CHECK_FALSE(closed(2));
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: on a manager, Raft traffic and proposals come "
                 "from the Raft group's members only, whatever their "
                 "certificate says",
                 "[actor]") {
  serve(pb::Envelope::PROPOSE);
  auto got = std::make_shared<std::vector<pb::RaftMessage>>();
  self->send(transport, cluster_raft_atom::value,
             track(sys.spawn(raft_recorder, got)));
  pb::ConfState cs;
  for (auto [id, node] : {std::pair{1, "n1"}, std::pair{2, "n2"}}) {
    auto* m = cs.add_voters();
    m->set_raft_id(id);
    m->set_node_id(node);
    m->set_addr("127.0.0." + std::to_string(id) + ":2377");
  }
  self->send(transport, raft_members_atom::value, cs);
  drain();
  // n4 holds a manager's certificate but left the group (demoted).
  net::envelope_sealer n4{{"n4", 4, 1}};
  up(1, true, "n4", "swarm-manager");
  frame(1,
        n4.seal(pb::Envelope::RAFT, raft_message(4, 1, 9).SerializeAsString()));
  CHECK(got->empty());
  // n2 is a member: heard even over a connection made with its worker
  // certificate (promoted since).
  up(2, true, "n2", "swarm-worker");
  frame(2,
        n2.seal(pb::Envelope::RAFT, raft_message(2, 1, 9).SerializeAsString()));
  CHECK(got->size() == 1);
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: a peer without a certificate gets one JOIN "
                 "answered, then its connection closes, and anything else "
                 "closes it at once",
                 "[actor]") {
  serve(pb::Envelope::JOIN);
  serve(pb::Envelope::PROPOSE);
  up(1, false, "", "");
  frame(1, request(pb::Envelope::JOIN, "token", 5));
  auto r = last_sent();
  CHECK(r.payload() == "re::token");
  CHECK(closed(1));
  up(2, false, "", "");
  frame(2, request(pb::Envelope::PROPOSE, "x", 6));
  CHECK(closed(2));
  CHECK(wire->frames.size() == 1);
  // Garbage is not an envelope: closed.
  up(3, true, "n2", "swarm-manager");
  self->send(transport, wire_frame_atom::value, conn(3),
             std::string("\xff\xff\xff\xff garbage"));
  drain();
  CHECK(closed(3));
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: Raft traffic from a manager reaches the raft "
                 "peer, and the answer goes back over the sender's "
                 "connection",
                 "[actor]") {
  auto got = std::make_shared<std::vector<pb::RaftMessage>>();
  self->send(transport, cluster_raft_atom::value,
             track(sys.spawn(raft_recorder, got)));
  drain();
  up(1, true, "n2", "swarm-manager");
  frame(1,
        n2.seal(pb::Envelope::RAFT, raft_message(2, 1, 5).SerializeAsString()));
  REQUIRE(got->size() == 1);
  CHECK(got->front().term() == 5);
  self->send(transport, raft_send_atom::value, raft_message(1, 2, 5));
  drain();
  CHECK(wire->frames.back().first == 1);
  CHECK(last_sent().kind() == pb::Envelope::RAFT);
  // A message whose sender differs from the envelope's is dropped.
  frame(1,
        n2.seal(pb::Envelope::RAFT, raft_message(3, 1, 5).SerializeAsString()));
  CHECK(got->size() == 1);
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: a call dials the address, waits for the "
                 "handshake, and answers with the reply's payload or its "
                 "error",
                 "[actor]") {
  auto h = self->request(transport, caf::infinite, cluster_call_atom::value,
                         std::string{"127.0.0.2:2377"},
                         static_cast<int32_t>(pb::Envelope::PROPOSE),
                         std::string{"batch"});
  drain();
  REQUIRE(wire->dials.size() == 1);
  CHECK(wire->dials[0].addr == "127.0.0.2:2377");
  CHECK_FALSE(wire->dials[0].opts.pinned_root);
  CHECK(wire->frames.empty()); // not before the handshake
  up(101, true, "n2", "swarm-manager");
  auto req = last_sent();
  CHECK(req.kind() == pb::Envelope::PROPOSE);
  CHECK(req.payload() == "batch");
  auto rep = n2.seal(pb::Envelope::REPLY, "applied");
  rep.set_request_id(req.request_id());
  frame(101, rep);
  std::string got;
  h.receive([&](std::string& x) { got = x; },
            [&](caf::error& e) { FAIL(to_failure(e).message); });
  CHECK(got == "applied");
  // A second call reuses the connection; an error reply is an error.
  auto h2 = self->request(transport, caf::infinite, cluster_call_atom::value,
                          std::string{"127.0.0.2:2377"},
                          static_cast<int32_t>(pb::Envelope::PROPOSE),
                          std::string{"b2"});
  drain();
  CHECK(wire->dials.size() == 1);
  auto err = n2.seal(pb::Envelope::REPLY, "");
  err.set_request_id(last_sent().request_id());
  err.set_code(static_cast<uint32_t>(errc::not_leader));
  err.set_error("not the leader");
  frame(101, err);
  failure f;
  h2.receive([&](std::string&) { FAIL("expected an error"); },
             [&](caf::error& e) { f = to_failure(e); });
  CHECK(f.code == errc::not_leader);
  CHECK(f.message == "not the leader");
  // A connection that goes down fails the calls on it.
  auto h3 = self->request(transport, caf::infinite, cluster_call_atom::value,
                          std::string{"127.0.0.2:2377"},
                          static_cast<int32_t>(pb::Envelope::PROPOSE),
                          std::string{"b3"});
  drain();
  self->send(transport, wire_down_atom::value, conn(101),
             std::string{"peer closed"});
  drain();
  h3.receive([&](std::string&) { FAIL("expected an error"); },
             [&](caf::error& e) { f = to_failure(e); });
  CHECK(f.code == errc::unavailable);
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: a join dials without certificate, pinned to "
                 "the token's CA, and closes after the answer",
                 "[actor]") {
  auto h = self->request(transport, caf::infinite, cluster_join_atom::value,
                         std::string{"127.0.0.3:2377"}, std::string(32, 'd'),
                         std::string{"join-request"});
  drain();
  REQUIRE(wire->dials.size() == 1);
  REQUIRE(wire->dials[0].opts.pinned_root);
  CHECK(*wire->dials[0].opts.pinned_root == std::string(32, 'd'));
  up(101, true, "m1", "swarm-manager");
  auto req = last_sent();
  CHECK(req.kind() == pb::Envelope::JOIN);
  net::envelope_sealer m1{{"m1", 1, 3}};
  auto rep = m1.seal(pb::Envelope::REPLY, "welcome");
  rep.set_request_id(req.request_id());
  frame(101, rep);
  std::string got;
  h.receive([&](std::string& x) { got = x; },
            [&](caf::error& e) { FAIL(to_failure(e).message); });
  CHECK(got == "welcome");
  CHECK(closed(101));
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: a call without an answer times out", "[actor]") {
  auto h = self->request(transport, caf::infinite, cluster_call_atom::value,
                         std::string{"127.0.0.2:2377"},
                         static_cast<int32_t>(pb::Envelope::PROPOSE),
                         std::string{"batch"});
  drain();
  up(101, true, "n2", "swarm-manager");
  advance(std::chrono::milliseconds(10'001));
  failure f;
  h.receive([&](std::string&) { FAIL("expected an error"); },
            [&](caf::error& e) { f = to_failure(e); });
  CHECK(f.code == errc::timeout);
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: removed nodes reach the wire once per change and "
                 "every later wire",
                 "[actor]") {
  using ids = std::vector<std::string>;
  self->send(transport, cluster_revoke_atom::value, ids{"n3"});
  drain();
  REQUIRE(wire->revoked.size() == 1);
  CHECK(wire->revoked[0] == ids{"n3"});
  // The same list again: nothing to do.
  self->send(transport, cluster_revoke_atom::value, ids{"n3"});
  drain();
  CHECK(wire->revoked.size() == 1);
  self->send(transport, cluster_revoke_atom::value, ids{"n3", "n4"});
  drain();
  REQUIRE(wire->revoked.size() == 2);
  CHECK(wire->revoked[1] == ids{"n3", "n4"});
  // A new wire for new credentials (the listen address moved) starts with
  // the list.
  auto moved = creds_of("CERT2");
  moved.set_listen_addr("127.0.0.9:2377");
  self->send(transport, cluster_creds_atom::value, moved);
  drain();
  REQUIRE(wire->made.size() == 2);
  REQUIRE(wire->revoked.size() == 3);
  CHECK(wire->revoked[2] == ids{"n3", "n4"});
  // Leaving the swarm forgets it.
  self->send(transport, cluster_creds_atom::value, pb::NodeCredentials{});
  drain();
  REQUIRE(wire->made.size() == 3);
  CHECK(wire->revoked.size() == 3);
}
