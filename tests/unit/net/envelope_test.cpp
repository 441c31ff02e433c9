#include "net/envelope.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::net;

namespace {

sender_identity who(uint64_t epoch) {
  return sender_identity{"node-a", 7, epoch};
}

peer_identity peer(bool authenticated, const std::string& node,
                   const std::string& role) {
  return {authenticated, node, role, authenticated ? "c1" : ""};
}

pb::Envelope request(pb::Envelope::Kind kind, uint64_t id = 1) {
  envelope_sealer s{who(1)};
  auto env = s.seal(kind, "x");
  env.set_request_id(id);
  return env;
}

} // namespace

TEST_CASE("envelope: the sealer stamps identity, epoch and increasing "
          "sequence numbers",
          "[unit]") {
  envelope_sealer s{who(42)};
  auto a = s.seal(pb::Envelope::RAFT, "p1");
  auto b = s.seal(pb::Envelope::JOIN, "p2");
  CHECK(a.sender_node_id() == "node-a");
  CHECK(a.sender_raft_id() == 7);
  CHECK(a.sender_epoch() == 42);
  CHECK(a.seq() == 1);
  CHECK(b.seq() == 2);
  CHECK(b.kind() == pb::Envelope::JOIN);
  CHECK(b.payload() == "p2");
  s.set_raft_id(9);
  CHECK(s.seal(pb::Envelope::RAFT, "").sender_raft_id() == 9);
}

TEST_CASE("envelope: managers send Raft traffic, proposals, membership "
          "requests, role changes, assignments and log reads, and workers "
          "do not",
          "[unit]") {
  auto manager = peer(true, "node-a", "swarm-manager");
  auto worker = peer(true, "node-a", "swarm-worker");
  for (auto kind :
       {pb::Envelope::PROPOSE, pb::Envelope::CONTROL, pb::Envelope::ROLE,
        pb::Envelope::ASSIGN, pb::Envelope::LOGS}) {
    INFO(pb::Envelope::Kind_Name(kind));
    CHECK(authorize(request(kind), manager));
    auto w = authorize(request(kind), worker);
    REQUIRE_FALSE(w);
    CHECK(w.error().code == errc::refused);
  }
  auto raft = request(pb::Envelope::RAFT, 0);
  CHECK(authorize(raft, manager));
  CHECK_FALSE(authorize(raft, worker));
  for (auto kind :
       {pb::Envelope::SESSION, pb::Envelope::HEARTBEAT, pb::Envelope::STATUS,
        pb::Envelope::JOIN, pb::Envelope::REPLY}) {
    INFO(pb::Envelope::Kind_Name(kind));
    CHECK(authorize(request(kind), worker));
    CHECK(authorize(request(kind), manager));
  }
}

TEST_CASE("envelope: a peer speaks only under the name in its certificate",
          "[unit]") {
  auto r = authorize(request(pb::Envelope::SESSION),
                     peer(true, "node-b", "swarm-manager"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::refused);
  CHECK(r.error().message.find("node-b") != std::string::npos);
}

TEST_CASE("envelope: a peer without a certificate may only ask to join",
          "[unit]") {
  auto joiner = peer(false, "", "");
  CHECK(authorize(request(pb::Envelope::JOIN), joiner));
  for (auto kind :
       {pb::Envelope::RAFT, pb::Envelope::PROPOSE, pb::Envelope::SESSION,
        pb::Envelope::STATUS, pb::Envelope::REPLY, pb::Envelope::ROLE}) {
    INFO(pb::Envelope::Kind_Name(kind));
    CHECK_FALSE(authorize(request(kind), joiner));
  }
  CHECK_FALSE(authorize(request(pb::Envelope::JOIN, 0), joiner));
}

TEST_CASE("envelope: requests and replies carry a request id, Raft traffic "
          "none, and HELLO is not used",
          "[unit]") {
  auto manager = peer(true, "node-a", "swarm-manager");
  CHECK_FALSE(authorize(request(pb::Envelope::PROPOSE, 0), manager));
  CHECK_FALSE(authorize(request(pb::Envelope::REPLY, 0), manager));
  CHECK_FALSE(authorize(request(pb::Envelope::RAFT, 3), manager));
  CHECK_FALSE(authorize(request(pb::Envelope::HELLO), manager));
}

TEST_CASE("envelope: a new certificate (CERT) comes from a manager of the "
          "Raft group only",
          "[unit]") {
  auto manager = peer(true, "node-a", "swarm-manager");
  auto worker = peer(true, "node-a", "swarm-worker");
  auto cert = request(pb::Envelope::CERT);
  CHECK(authorize(cert, manager));
  CHECK(authorize(cert, manager, {"node-a", "node-b"}));
  CHECK_FALSE(authorize(cert, worker));
  // A demoted manager whose manager certificate is still valid.
  auto demoted = authorize(cert, manager, {"node-b"});
  REQUIRE_FALSE(demoted);
  CHECK(demoted.error().code == errc::refused);
  CHECK_FALSE(authorize(cert, peer(false, "", "")));
}
