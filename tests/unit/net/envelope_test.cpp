#include "net/envelope.hpp"

#include <vector>

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::net;

namespace {

sender_identity who(uint64_t epoch) {
  return sender_identity{"node-a", 7, epoch};
}

} // namespace

TEST_CASE("envelope: sealing numbers messages from 1 and names the sender",
          "[unit]") {
  envelope_sealer s{who(42)};
  auto x = s.seal(pb::Envelope::RAFT, "p1");
  auto y = s.seal(pb::Envelope::RAFT, "p2");
  CHECK(x.seq() == 1);
  CHECK(y.seq() == 2);
  CHECK(x.sender_node_id() == "node-a");
  CHECK(x.sender_raft_id() == 7);
  CHECK(x.sender_epoch() == 42);
  CHECK(x.payload() == "p1");
  CHECK(x.auth().empty());
}

TEST_CASE("envelope: the checker drops duplicates and replays within an "
          "epoch",
          "[unit]") {
  envelope_sealer s{who(1)};
  envelope_checker c;
  auto x = s.seal(pb::Envelope::RAFT, "a");
  auto y = s.seal(pb::Envelope::RAFT, "b");
  CHECK(c.accept(x).ok());
  CHECK(c.accept(y).ok());
  CHECK_FALSE(c.accept(y).ok());
  CHECK_FALSE(c.accept(x).ok());
}

TEST_CASE("envelope: numbers out of order within the window are accepted "
          "once, older ones are refused",
          "[unit]") {
  envelope_sealer s{who(1)};
  envelope_checker c;
  std::vector<pb::Envelope> xs;
  for (int i = 0; i < 100; ++i)
    xs.push_back(s.seal(pb::Envelope::RAFT, "x"));
  REQUIRE(c.accept(xs[0]).ok());
  REQUIRE(c.accept(xs[5]).ok()); // 2..5 raced ahead of 1..4
  CHECK(c.accept(xs[2]).ok());
  CHECK(c.accept(xs[1]).ok());
  CHECK_FALSE(c.accept(xs[2]).ok());
  CHECK_FALSE(c.accept(xs[5]).ok());
  REQUIRE(c.accept(xs[90]).ok());
  CHECK_FALSE(c.accept(xs[3]).ok()); // fell out of the 64-number window
  CHECK(c.accept(xs[40]).ok());      // 91 - 41 = 50 < 64
  CHECK_FALSE(c.accept(xs[40]).ok());
}

TEST_CASE("envelope: a restarted sender's new epoch starts over", "[unit]") {
  envelope_checker c;
  envelope_sealer first{who(1)};
  for (int i = 0; i < 3; ++i)
    REQUIRE(c.accept(first.seal(pb::Envelope::RAFT, "x")).ok());
  envelope_sealer second{who(2)};
  CHECK(c.accept(second.seal(pb::Envelope::RAFT, "y")).ok());
}

TEST_CASE("envelope: unauthenticated or anonymous envelopes are refused",
          "[unit]") {
  envelope_checker c;
  envelope_sealer s{who(1)};
  auto x = s.seal(pb::Envelope::RAFT, "a");
  x.set_auth("forged");
  CHECK(c.accept(x).error().code == errc::refused);
  pb::Envelope anon;
  anon.set_seq(1);
  CHECK(c.accept(anon).error().code == errc::bad_request);
  envelope_checker strict{
    [](const pb::Envelope& e) { return e.auth() == "mac"; }};
  auto y = s.seal(pb::Envelope::RAFT, "b");
  y.set_auth("mac");
  CHECK(strict.accept(y).ok());
}
