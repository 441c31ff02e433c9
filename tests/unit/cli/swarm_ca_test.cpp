// `swarm ca [--rotate] [--cert-expiry D] [-q]` and `swarm update
// --cert-expiry D`: the requests they send, the polling of a rotation and
// the flag checks (docker/cli's cli/command/swarm/ca.go, update.go).

#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "messages/errc.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

constexpr int64_t hour_ns = 3600LL * 1000 * 1000 * 1000;

pb::ControlReply ca_reply(const std::string& root, uint64_t applied,
                          bool rotating) {
  pb::ControlReply r;
  r.set_text(root);
  r.mutable_cluster()->set_applied_force_rotate(applied);
  if (rotating)
    r.mutable_cluster()->set_previous_root_ca_cert_pem("OLD");
  return r;
}

} // namespace

TEST_CASE("swarm ca prints the root CA certificate", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    CHECK(req.has_swarm_ca());
    return std::vector<pb::ControlReply>{ca_reply("ROOT PEM", 0, false)};
  };
  REQUIRE(d.run({"swarm", "ca"}) == 0);
  CHECK(d.out.str() == "ROOT PEM\n");
  CHECK(d.requests.size() == 1);
}

TEST_CASE("swarm ca --rotate bumps the rotation and waits until it is done",
          "[unit]") {
  fake_daemon d;
  int polls = 0;
  d.on = [&polls](const pb::ControlRequest& req) {
    if (req.has_swarm_update()) {
      CHECK(req.swarm_update().rotate_ca());
      CHECK_FALSE(req.swarm_update().set_cert_expiry());
      pb::ControlReply r;
      r.mutable_cluster()
        ->mutable_spec()
        ->mutable_ca_config()
        ->set_force_rotate(3);
      return std::vector<pb::ControlReply>{r};
    }
    ++polls;
    // The CA has not started, then rotates, then is done.
    if (polls == 1)
      return std::vector<pb::ControlReply>{ca_reply("OLD", 2, false)};
    if (polls < 4)
      return std::vector<pb::ControlReply>{ca_reply("NEW", 3, true)};
    return std::vector<pb::ControlReply>{ca_reply("NEW", 3, false)};
  };
  REQUIRE(d.run({"swarm", "ca", "--rotate", "-q"}) == 0);
  CHECK(polls == 4);
  CHECK(d.out.str() == "NEW\n");
  polls = 0;
  d.out.str("");
  REQUIRE(d.run({"swarm", "ca", "--rotate"}) == 0);
  CHECK_THAT(d.out.str(), Catch::Contains("rotating"));
  CHECK_THAT(d.out.str(), Catch::EndsWith("NEW\n"));
}

TEST_CASE("swarm ca and swarm update take --cert-expiry as a duration",
          "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    if (req.has_swarm_ca())
      return std::vector<pb::ControlReply>{ca_reply("ROOT", 0, false)};
    return std::vector<pb::ControlReply>{pb::ControlReply{}};
  };
  REQUIRE(d.run({"swarm", "update", "--cert-expiry", "2h"}) == 0);
  CHECK(d.requests.back().swarm_update().set_cert_expiry());
  CHECK(d.requests.back().swarm_update().cert_expiry_ns() == 2 * hour_ns);
  CHECK_FALSE(d.requests.back().swarm_update().rotate_ca());
  REQUIRE(d.run({"swarm", "ca", "--cert-expiry", "720h"}) == 0);
  REQUIRE(d.requests.size() >= 2);
  auto& u = d.requests[d.requests.size() - 2];
  CHECK(u.swarm_update().cert_expiry_ns() == 720 * hour_ns);
  CHECK(d.requests.back().has_swarm_ca());
  // Without the flag, update leaves the expiry alone.
  REQUIRE(d.run({"swarm", "update", "--task-history-limit", "3"}) == 0);
  CHECK_FALSE(d.requests.back().swarm_update().set_cert_expiry());

  auto before = d.requests.size();
  for (const char* verb : {"update", "ca"}) {
    d.err.str("");
    CHECK(d.run({"swarm", verb, "--cert-expiry", "soon"}) == 1);
    CHECK(d.requests.size() == before);
    CHECK_THAT(d.err.str(), Catch::StartsWith("invalid argument \"soon\" for "
                                              "\"--cert-expiry\" flag: "));
  }
}

TEST_CASE("swarm update --cert-expiry under an hour is the daemon's refusal",
          "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    r.set_code(static_cast<uint32_t>(errc::invalid_spec));
    r.set_error("minimum certificate expiry time is 1h0m0s");
    return std::vector<pb::ControlReply>{r};
  };
  CHECK(d.run({"swarm", "update", "--cert-expiry", "30m"}) == 1);
  CHECK(d.requests.back().swarm_update().cert_expiry_ns() == hour_ns / 2);
  CHECK(d.err.str()
        == "Error response from daemon: minimum certificate expiry time is "
           "1h0m0s\n");
}
