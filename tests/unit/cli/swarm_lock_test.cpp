// `swarm init --autolock`, `swarm update --autolock`, `swarm unlock-key`
// and `swarm unlock`: docker's requests and texts (docker/cli's
// cli/command/swarm/{init,update,unlock_key,unlock}.go).

#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "messages/errc.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

const std::string key = "SWMKEY-1-WuYH/IX284+lRcXuoVf38viIDK3HJEKY13MIHX+tTt8";

const std::string instructions
  = "To unlock a swarm manager after it restarts, run the `actorswarm swarm "
    "unlock`\ncommand and provide the following key:\n\n    "
    + key
    + "\n\nPlease remember to store this key in a password manager, since "
      "without it you\nwill not be able to restart the manager.\n";

pb::ControlReply error(actorswarm::errc code, const std::string& text) {
  pb::ControlReply r;
  r.set_code(static_cast<uint32_t>(code));
  r.set_error(text);
  return r;
}

} // namespace

TEST_CASE("swarm init --autolock asks for it and prints the unlock key",
          "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    CHECK(req.swarm_init().autolock());
    pb::ControlReply r;
    r.mutable_info()->set_node_id("n1");
    r.mutable_info()->set_node_addr("127.0.0.1:2377");
    r.set_text("SWMTKN-1-a-b");
    r.set_unlock_key(key);
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"swarm", "init", "--autolock"}) == 0);
  auto out = d.out.str();
  REQUIRE(out.size() > instructions.size());
  CHECK(out.substr(out.size() - instructions.size()) == instructions);
  CHECK_THAT(out, Catch::Contains("follow the instructions.\n\nTo unlock"));
}

TEST_CASE("swarm update --autolock takes docker's bool values", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.swarm_update().autolock())
      r.set_unlock_key(key);
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"swarm", "update", "--autolock"}) == 0);
  CHECK(d.requests.back().swarm_update().set_autolock());
  CHECK(d.requests.back().swarm_update().autolock());
  CHECK(d.out.str() == "Swarm updated.\n" + instructions);
  d.out.str("");
  REQUIRE(d.run({"swarm", "update", "--autolock=false"}) == 0);
  CHECK(d.requests.back().swarm_update().set_autolock());
  CHECK_FALSE(d.requests.back().swarm_update().autolock());
  CHECK(d.out.str() == "Swarm updated.\n");
  REQUIRE(d.run({"swarm", "update", "--autolock=true"}) == 0);
  CHECK(d.requests.back().swarm_update().autolock());
  REQUIRE(d.run({"swarm", "update", "--task-history-limit", "3"}) == 0);
  CHECK_FALSE(d.requests.back().swarm_update().set_autolock());
  auto before = d.requests.size();
  CHECK(d.run({"swarm", "update", "--autolock=maybe"}) == 1);
  CHECK(d.requests.size() == before);
  CHECK_THAT(d.err.str(),
             Catch::StartsWith("invalid argument \"maybe\" for \"--autolock\" "
                               "flag: strconv.ParseBool: parsing \"maybe\": "
                               "invalid syntax"));
}

TEST_CASE("swarm unlock-key prints docker's text, -q the key alone, --rotate "
          "its notice",
          "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    CHECK(req.has_unlock_key());
    pb::ControlReply r;
    r.set_unlock_key(key);
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"swarm", "unlock-key"}) == 0);
  CHECK_FALSE(d.requests.back().unlock_key().rotate());
  CHECK(d.out.str() == instructions);
  d.out.str("");
  REQUIRE(d.run({"swarm", "unlock-key", "-q"}) == 0);
  CHECK(d.out.str() == key + "\n");
  d.out.str("");
  REQUIRE(d.run({"swarm", "unlock-key", "--rotate"}) == 0);
  CHECK(d.requests.back().unlock_key().rotate());
  CHECK(d.out.str()
        == "Successfully rotated manager unlock key.\n\n" + instructions);
}

TEST_CASE("swarm unlock-key without autolock is docker's error", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    return std::vector<pb::ControlReply>{
      error(actorswarm::errc::refused, "no unlock key is set")};
  };
  CHECK(d.run({"swarm", "unlock-key"}) == 1);
  CHECK(d.err.str() == "Error response from daemon: no unlock key is set\n");
}

TEST_CASE("swarm unlock prompts for the key and sends it, a wrong key is "
          "docker's error",
          "[unit]") {
  fake_daemon d;
  d.key_input = key;
  bool right = true;
  d.on = [&](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_info()) {
      r.mutable_info()->set_in_swarm(true);
      r.mutable_info()->set_locked(true);
    } else if (!right) {
      r = error(actorswarm::errc::refused,
                "swarm could not be unlocked: invalid key provided");
    }
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"swarm", "unlock"}) == 0);
  CHECK(d.key_prompts == std::vector<std::string>{"Please enter unlock key: "});
  CHECK(d.requests.back().swarm_unlock().key() == key);
  CHECK(d.out.str().empty());
  right = false;
  CHECK(d.run({"swarm", "unlock"}) == 1);
  CHECK(d.err.str()
        == "Error response from daemon: swarm could not be unlocked: invalid "
           "key provided\n");
}

TEST_CASE("swarm unlock on a daemon that is not locked never prompts",
          "[unit]") {
  fake_daemon d;
  d.key_input = key;
  bool in_swarm = true;
  d.on = [&](const pb::ControlRequest& req) {
    CHECK(req.has_info());
    pb::ControlReply r;
    r.mutable_info()->set_in_swarm(in_swarm);
    return std::vector<pb::ControlReply>{r};
  };
  CHECK(d.run({"swarm", "unlock"}) == 1);
  CHECK(d.err.str() == "Error: swarm is not locked\n");
  d.err.str("");
  in_swarm = false;
  CHECK(d.run({"swarm", "unlock"}) == 1);
  CHECK(d.err.str() == "Error: This node is not part of a swarm\n");
  CHECK(d.key_prompts.empty());
}
