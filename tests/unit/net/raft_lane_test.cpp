#include "net/raft_lane.hpp"

#include <catch2/catch.hpp>

#include <utility>
#include <vector>

using namespace actorswarm;
using namespace actorswarm::net;

namespace {

// Records what the lane queues.
class recording_wire : public wire_port {
public:
  conn_id dial(const std::string&, dial_options) override {
    return 0;
  }
  void send(conn_id c, std::string frame) override {
    sent.emplace_back(c, std::move(frame));
  }
  void close(conn_id) override {
  }
  status reload(wire_credentials) override {
    return ok_status();
  }
  void set_revoked(std::vector<std::string>) override {
  }
  uint16_t port() const override {
    return 0;
  }
  std::vector<std::pair<conn_id, std::string>> sent;
};

pb::RaftMessage to(uint64_t peer) {
  pb::RaftMessage m;
  m.set_to(peer);
  m.set_from(1);
  m.set_term(3);
  return m;
}

pb::Envelope opened(const std::string& frame) {
  pb::Envelope env;
  REQUIRE(env.ParseFromString(frame));
  return env;
}

} // namespace

TEST_CASE("raft lane: sends only on routes the transport opened", "[net]") {
  recording_wire w;
  raft_lane lane;
  envelope_sealer sealer{sender_identity{"node-a", 1, 42}};
  CHECK_FALSE(lane.try_send(to(2))); // no wire yet
  lane.attach(&w, sealer);
  CHECK_FALSE(lane.try_send(to(2))); // no route yet
  lane.open(2, 17);
  REQUIRE(lane.try_send(to(2)));
  CHECK_FALSE(lane.try_send(to(3)));
  REQUIRE(w.sent.size() == 1);
  CHECK(w.sent[0].first == 17);
  auto env = opened(w.sent[0].second);
  CHECK(env.kind() == pb::Envelope::RAFT);
  CHECK(env.sender_node_id() == "node-a");
  CHECK(env.sender_epoch() == 42);
  pb::RaftMessage m;
  REQUIRE(m.ParseFromString(env.payload()));
  CHECK(m.to() == 2);
  CHECK(m.term() == 3);
}

TEST_CASE("raft lane: a closed connection, a membership change or a new wire "
          "closes its routes",
          "[net]") {
  recording_wire w;
  raft_lane lane;
  lane.attach(&w, envelope_sealer{sender_identity{"node-a", 1, 42}});
  lane.open(2, 17);
  lane.open(3, 18);
  lane.close(17);
  CHECK_FALSE(lane.try_send(to(2)));
  CHECK(lane.try_send(to(3)));
  lane.clear();
  CHECK_FALSE(lane.try_send(to(3)));
  lane.open(3, 18);
  lane.attach(nullptr, std::nullopt);
  CHECK_FALSE(lane.try_send(to(3)));
  lane.open(3, 18); // detached: nothing to open on
  lane.attach(&w, envelope_sealer{sender_identity{"node-a", 1, 42}});
  CHECK_FALSE(lane.try_send(to(3)));
  CHECK(w.sent.size() == 1);
}

TEST_CASE("raft lane: its envelopes number on with the transport's", "[net]") {
  recording_wire w;
  raft_lane lane;
  envelope_sealer sealer{sender_identity{"node-a", 1, 42}};
  auto first = sealer.seal(pb::Envelope::RAFT, "x").seq();
  lane.attach(&w, sealer);
  lane.open(2, 17);
  REQUIRE(lane.try_send(to(2)));
  auto second = opened(w.sent.back().second).seq();
  auto third = sealer.seal(pb::Envelope::RAFT, "y").seq();
  CHECK(second == first + 1);
  CHECK(third == second + 1);
}
