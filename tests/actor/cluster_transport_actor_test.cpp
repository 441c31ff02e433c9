#include "net/cluster_transport.hpp"

#include <memory>
#include <string>
#include <vector>

#include "net/envelope.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;

// The transport's typed boundaries inside one actor system: what a remote
// transport sends it (envelopes, request envelopes) and what it hands to
// local servers and to the raft peer. No middleman: nothing here dials.

namespace {

// A local server of one kind: answers "re:" + payload.
net::cluster_server_actor_type::behavior_type
echo_server(net::cluster_server_actor_type::pointer) {
  return {
    [=](rpc_atom, int32_t, const std::string& x) -> std::string {
      return "re:" + x;
    },
  };
}

using raft_log = std::shared_ptr<std::vector<pb::RaftMessage>>;

// Stands in for the raft peer: records the RaftMessages it gets.
net::cluster_raft_actor_type::behavior_type
raft_recorder(net::cluster_raft_actor_type::pointer, raft_log log) {
  return {
    [=](raft_msg_atom, const pb::RaftMessage& m) { log->push_back(m); },
    [=](peer_down_atom, uint64_t) {},
  };
}

using envelope_log = std::shared_ptr<std::vector<pb::Envelope>>;

// Stands in for the transport of node n2 (Raft id 2): sends one RAFT
// envelope to `transport`, then records the envelopes it gets back.
net::cluster_peer_actor_type::behavior_type
remote_peer(net::cluster_peer_actor_type::pointer self,
            net::cluster_transport_actor_type transport, pb::Envelope first,
            envelope_log log) {
  self->send(transport, std::move(first));
  return {
    [=](const pb::Envelope& x) { log->push_back(x); },
    [=](cluster_request_atom, const pb::Envelope&) -> pb::Envelope {
      return {};
    },
  };
}

pb::RaftMessage raft_message(uint64_t from, uint64_t to, uint64_t term) {
  pb::RaftMessage m;
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

struct transport_fixture : actor_fixture {
  net::cluster_transport_actor_type transport;
  // Seals as node n2 would.
  net::envelope_sealer n2{{"n2", 2, 9}};

  transport_fixture() {
    net::cluster_transport_config cfg;
    cfg.self = {"n1", 1, 7};
    transport = track(net::spawn_cluster_transport(sys, cfg));
    drain();
  }
};

} // namespace

TEST_CASE_METHOD(transport_fixture,
                 "transport: a request envelope from another node goes to "
                 "the local server of its kind and comes back sealed as REPLY",
                 "[actor]") {
  auto server = track(sys.spawn(echo_server));
  self->send(transport, serve_atom::value,
             static_cast<int32_t>(pb::Envelope::JOIN), server);
  drain();
  auto env = n2.seal(pb::Envelope::JOIN, "hello");
  auto reply = ask_ok<pb::Envelope>(transport, cluster_request_atom::value,
                                    env);
  CHECK(reply.kind() == pb::Envelope::REPLY);
  CHECK(reply.payload() == "re:hello");
  CHECK(reply.sender_node_id() == "n1");
  CHECK(reply.sender_raft_id() == 1);
  // The same envelope again is a replay: refused, the server never sees it.
  auto replay = ask<pb::Envelope>(transport, cluster_request_atom::value, env);
  REQUIRE_FALSE(replay.ok);
  CHECK(replay.error.code == errc::refused);
  // Nobody serves CONTROL here.
  auto none = ask<pb::Envelope>(transport, cluster_request_atom::value,
                                n2.seal(pb::Envelope::CONTROL, "x"));
  REQUIRE_FALSE(none.ok);
  CHECK(none.error.code == errc::unavailable);
}

TEST_CASE_METHOD(transport_fixture,
                 "transport: a RAFT envelope reaches the raft peer, whose "
                 "answer goes back over the sender's own connection",
                 "[actor]") {
  auto got = std::make_shared<std::vector<pb::RaftMessage>>();
  auto raft = track(sys.spawn(raft_recorder, got));
  self->send(transport, cluster_raft_atom::value, raft);
  drain();
  auto back = std::make_shared<std::vector<pb::Envelope>>();
  auto first = n2.seal(pb::Envelope::RAFT,
                       raft_message(2, 1, 5).SerializeAsString());
  track(sys.spawn(remote_peer, transport, first, back));
  drain();
  REQUIRE(got->size() == 1);
  CHECK(got->front().from() == 2);
  CHECK(got->front().term() == 5);
  // No address known for peer 2: the link is the connection it came over
  // (its sender, converted to a typed peer handle in one place).
  self->send(transport, raft_send_atom::value, raft_message(1, 2, 5));
  drain();
  REQUIRE(back->size() == 1);
  CHECK(back->front().kind() == pb::Envelope::RAFT);
  CHECK(back->front().sender_node_id() == "n1");
  pb::RaftMessage m;
  REQUIRE(m.ParseFromString(back->front().payload()));
  CHECK(m.from() == 1);
  CHECK(m.to() == 2);
  // A RAFT envelope whose message claims another sender is dropped.
  self->send(transport, n2.seal(pb::Envelope::RAFT,
                                raft_message(3, 1, 5).SerializeAsString()));
  drain();
  CHECK(got->size() == 1);
}
