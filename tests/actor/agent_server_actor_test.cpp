#include "actors/dispatcher/agent_server_actor.hpp"

#include <string>

#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;

// The agent server is where a worker's requests arrive, with the sender's
// verified node id (the CN of its certificate): a node speaks only for
// itself. The refusals come before the dispatcher or store is asked, so
// none is needed here.

namespace {

struct server_fixture : actor_fixture {
  dispatcher::agent_server_actor_type server
    = track(dispatcher::spawn_agent_server(sys, {}, {}, {}));

  failure refusal(pb::Envelope::Kind kind, const std::string& bytes) {
    auto r = ask<std::string>(server, rpc_atom::value,
                              static_cast<int32_t>(kind), std::string{"w1"},
                              bytes);
    REQUIRE_FALSE(r.ok);
    return r.error;
  }
};

} // namespace

TEST_CASE_METHOD(server_fixture,
                 "agent server: a session, heartbeat or status report for "
                 "another node than the sender is refused",
                 "[actor]") {
  pb::SessionRequest s;
  s.set_node_id("manager-1");
  s.set_addr("127.0.0.9:2377");
  auto f = refusal(pb::Envelope::SESSION, s.SerializeAsString());
  CHECK(f.code == errc::refused);
  CHECK(f.message
        == "node w1 sent a request for node manager-1: a node "
           "speaks for itself only");
  pb::Heartbeat hb;
  hb.set_node_id("manager-1");
  CHECK(refusal(pb::Envelope::HEARTBEAT, hb.SerializeAsString()).code
        == errc::refused);
  pb::StatusBatch b;
  b.set_node_id("manager-1");
  CHECK(refusal(pb::Envelope::STATUS, b.SerializeAsString()).code
        == errc::refused);
}
