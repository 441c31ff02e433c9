// Where the cluster port opens (issue #8): `swarm init --listen-addr` is
// where it listens, kept for the next start, and advertised when no
// --advertise-addr is given; without it the daemon's --listen-addr applies.

#include "unit/node/membership_fixture.hpp"

using namespace membership_test;

TEST_CASE("membership: swarm init --listen-addr is where the cluster port "
          "opens",
          "[unit]") {
  CHECK(init_listen_addr(init_req(""))->empty());
  CHECK(*init_listen_addr(init_req("127.0.0.3:5000")) == "127.0.0.3:5000");
  CHECK(*init_listen_addr(init_req("127.0.0.3")) == "127.0.0.3:2377");
  CHECK(*init_listen_addr(init_req("0.0.0.0:7000")) == "0.0.0.0:7000");
  CHECK_FALSE(init_listen_addr(init_req("127.0.0.1:0")));
  identity id;
  CHECK(cluster_listen_addr(id, "0.0.0.0:2377") == "0.0.0.0:2377");
  id.listen_addr = "127.0.0.3:5000";
  CHECK(cluster_listen_addr(id, "0.0.0.0:2377") == "127.0.0.3:5000");
  // What others are told is that same address.
  CHECK(*advertise_addr(init_req("127.0.0.3:5000"), "0.0.0.0:2377")
        == "127.0.0.3:5000");
}

TEST_CASE("membership: the listen address of swarm init survives a restart",
          "[unit]") {
  actorswarm::persistence::memory_kv_store kv;
  auto id = load_identity(kv, "h", secrets);
  CHECK(id.listen_addr.empty());
  id.cluster_id = "c1";
  id.listen_addr = "127.0.0.3:5000";
  save_identity(kv, id);
  CHECK(load_identity(kv, "h", secrets).listen_addr == "127.0.0.3:5000");
}

TEST_CASE("membership: swarm join --listen-addr is where the joined node's "
          "cluster port opens",
          "[unit]") {
  pb::SwarmJoinRequest req;
  CHECK(join_listen_addr(req)->empty());
  req.set_listen_addr("127.0.0.4");
  CHECK(*join_listen_addr(req) == "127.0.0.4:2377");
  req.set_listen_addr("127.0.0.4:abc");
  CHECK_FALSE(join_listen_addr(req));
}
