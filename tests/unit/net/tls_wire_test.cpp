// The cluster port's wire (net/tls_wire.hpp) between well-behaved peers:
// frames both ways, identities from certificates, joiners with a pinned
// root, reload, revocation, close. The misbehaving peers are in
// tls_wire_refusal_test.cpp.

#include "net/tls_wire.hpp"

#include "wire_fixture.hpp"

using namespace wire_test;

TEST_CASE("tls wire: two nodes of one CA exchange frames both ways, 5 MB "
          "included, and each sees the other's certificate identity",
          "[unit]") {
  test_pki pki;
  recorder se;
  recorder ce;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto client = start_wire(ce, pki.creds("worker-1", net::worker_ou), false);
  CHECK(client->port() == 0);
  auto c = client->dial(local(server->port()));
  REQUIRE(ce.wait_up(c));
  auto s = se.wait_nth_up(1);
  REQUIRE(s != 0);
  auto sp = ce.peer(c);
  CHECK(sp.authenticated);
  CHECK(sp.node_id == "manager-1");
  CHECK(sp.role == net::manager_ou);
  CHECK(sp.cluster_id == "cluster-1");
  auto cp = se.peer(s);
  CHECK(cp.authenticated);
  CHECK(cp.node_id == "worker-1");
  CHECK(cp.role == net::worker_ou);
  std::string big(5u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>((i * 131) >> 3);
  client->send(c, "ping");
  client->send(c, big);
  client->send(c, "");
  server->send(s, "pong");
  server->send(s, big);
  REQUIRE(se.wait_frames(s, 3));
  REQUIRE(ce.wait_frames(c, 2));
  auto at_server = se.frames(s);
  CHECK(at_server[0] == "ping");
  CHECK(at_server[1] == big);
  CHECK(at_server[2].empty());
  auto at_client = ce.frames(c);
  CHECK(at_client[0] == "pong");
  CHECK(at_client[1] == big);
  auto st = server->stats();
  CHECK(st.open == 1);
  CHECK(st.unauthenticated == 0);
  CHECK(st.refused == 0);
  CHECK(client->root_pem_of(c).empty());
}

TEST_CASE("tls wire: close writes what is queued, then both ends see the "
          "connection down",
          "[unit]") {
  test_pki pki;
  recorder se;
  recorder ce;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto client = start_wire(ce, pki.creds("manager-2"), false);
  auto c = client->dial(local(server->port()));
  REQUIRE(ce.wait_up(c));
  auto s = se.wait_nth_up(1);
  client->send(c, std::string(300'000, 'q'));
  client->close(c);
  REQUIRE(ce.wait_down(c));
  REQUIRE(se.wait_down(s));
  CHECK(se.frames(s).size() == 1);
  CHECK(ce.reason(c) == "closed by this node");
  // Sending on a closed connection is dropped silently.
  client->send(c, "late");
  client->close(c);
  CHECK(client->stats().open == 0);
}

TEST_CASE("tls wire: a joiner without a certificate dials with the "
          "pinned root, is unauthenticated on the server, and a frame "
          "above its limit closes it",
          "[unit]") {
  test_pki pki;
  recorder se;
  recorder je;
  net::wire_limits limits;
  limits.max_unauthenticated_frame_bytes = 1024;
  auto server = start_wire(se, pki.creds("manager-1"), true, limits);
  auto joiner = start_wire(je, std::nullopt, false);
  net::dial_options opts;
  opts.pinned_root = pki.digest();
  auto c = joiner->dial(local(server->port()), opts);
  REQUIRE(je.wait_up(c));
  CHECK(je.peer(c).authenticated);
  CHECK(je.peer(c).node_id == "manager-1");
  CHECK(joiner->root_pem_of(c) == pki.ca.cert_pem);
  auto s = se.wait_nth_up(1);
  REQUIRE(s != 0);
  CHECK_FALSE(se.peer(s).authenticated);
  CHECK(se.peer(s).node_id.empty());
  CHECK(server->stats().unauthenticated == 1);
  joiner->send(c, std::string(1024, 'j'));
  REQUIRE(se.wait_frames(s, 1));
  server->send(s, "welcome");
  REQUIRE(je.wait_frames(c, 1));
  joiner->send(c, std::string(1025, 'j'));
  REQUIRE(se.wait_down(s));
  CHECK(se.reason(s).find("1025 bytes is over the limit") != std::string::npos);
  REQUIRE(je.wait_down(c));
  CHECK(se.frames(s).size() == 1);
  CHECK(server->stats().unauthenticated == 0);
  CHECK(joiner->root_pem_of(c).empty());
}

TEST_CASE("tls wire: a pinned dial whose digest names no root of the "
          "server is refused with the join token's line",
          "[unit]") {
  test_pki pki;
  recorder se;
  recorder je;
  auto creds = pki.creds("manager-1");
  auto server = start_wire(se, creds);
  auto joiner = start_wire(je, std::nullopt, false);
  net::dial_options wrong;
  wrong.pinned_root = std::string(32, '\x01');
  auto c = joiner->dial(local(server->port()), wrong);
  REQUIRE(je.wait_down(c));
  CHECK_FALSE(je.is_up(c));
  CHECK(je.reason(c).find("the manager's CA does not match the join token")
        != std::string::npos);
  CHECK(joiner->root_pem_of(c).empty());
  CHECK(joiner->stats().refused == 1);
  // The server's own certificate is no root, even if pinned.
  net::dial_options leaf;
  leaf.pinned_root = *net::cert_digest(creds.cert_pem);
  auto c2 = joiner->dial(local(server->port()), leaf);
  REQUIRE(je.wait_down(c2));
  CHECK(je.reason(c2).find("not a root CA") != std::string::npos);
  CHECK(se.ups() == 0);
  // Without a pin, a node without a certificate cannot dial at all.
  auto c3 = joiner->dial(local(server->port()));
  REQUIRE(je.wait_down(c3));
  CHECK(je.reason(c3).find("no certificate") != std::string::npos);
}

TEST_CASE("tls wire: new credentials from reload are used by new "
          "connections while open ones go on",
          "[unit]") {
  test_pki old_pki;
  test_pki new_pki;
  recorder se;
  recorder oe;
  recorder ne;
  auto server = start_wire(se, old_pki.creds("manager-1"));
  auto old_client = start_wire(oe, old_pki.creds("worker-1"), false);
  auto c1 = old_client->dial(local(server->port()));
  REQUIRE(oe.wait_up(c1));
  auto s1 = se.wait_nth_up(1);
  REQUIRE(server->reload(new_pki.creds("manager-1")));
  auto new_client = start_wire(ne, new_pki.creds("worker-2"), false);
  auto c2 = new_client->dial(local(server->port()));
  REQUIRE(ne.wait_up(c2));
  auto s2 = se.wait_nth_up(2);
  CHECK(se.peer(s2).node_id == "worker-2");
  // The old CA's certificates no longer get in; the old connection works.
  auto c3 = old_client->dial(local(server->port()));
  REQUIRE(oe.wait_down(c3));
  old_client->send(c1, "still here");
  REQUIRE(se.wait_frames(s1, 1));
  // Credentials that do not hold together change nothing.
  auto bad = new_pki.creds("manager-1");
  bad.key_pem = old_pki.creds("manager-1").key_pem;
  auto st = server->reload(bad);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("do not match") != std::string::npos);
  auto c4 = new_client->dial(local(server->port()));
  REQUIRE(ne.wait_up(c4));
}

TEST_CASE("tls wire: revoking a node closes its open connections and "
          "refuses its new ones",
          "[unit]") {
  test_pki pki;
  recorder se;
  recorder ce;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto client = start_wire(ce, pki.creds("worker-9", net::worker_ou), false);
  auto c = client->dial(local(server->port()));
  REQUIRE(ce.wait_up(c));
  auto s = se.wait_nth_up(1);
  server->set_revoked({"worker-7", "worker-9"});
  REQUIRE(se.wait_down(s));
  CHECK(se.reason(s).find("worker-9 is revoked") != std::string::npos);
  REQUIRE(ce.wait_down(c));
  auto again = client->dial(local(server->port()));
  REQUIRE(ce.wait_down(again));
  CHECK_FALSE(ce.is_up(again));
  CHECK(se.ups() == 1);
  // Lifting the revocation lets it back in.
  server->set_revoked({});
  auto back = client->dial(local(server->port()));
  REQUIRE(ce.wait_up(back));
}

TEST_CASE("tls wire: bad addresses and nobody listening end a dial with "
          "on_down, and listening needs a certificate",
          "[unit]") {
  test_pki pki;
  recorder ce;
  auto client = start_wire(ce, pki.creds("worker-1"), false);
  auto a = client->dial("nonsense");
  REQUIRE(ce.wait_down(a));
  CHECK(ce.reason(a).find("not an IP:PORT address") != std::string::npos);
  uint16_t closed_port = 0;
  {
    recorder tmp;
    closed_port = start_wire(tmp, pki.creds("gone"))->port();
  }
  auto b = client->dial(local(closed_port));
  REQUIRE(ce.wait_down(b));
  CHECK(ce.reason(b).find("cannot connect to") != std::string::npos);
  recorder none;
  auto w = net::tls_wire::start(none, {}, std::nullopt, "127.0.0.1", 0);
  REQUIRE_FALSE(w);
  CHECK(w.error().message.find("certificate") != std::string::npos);
  auto bad = pki.creds("x");
  bad.cluster_id = "cluster-2";
  auto w2 = net::tls_wire::start(none, {}, bad, "", 0);
  REQUIRE_FALSE(w2);
  CHECK(w2.error().message.find("not cluster-2") != std::string::npos);
}

TEST_CASE("tls wire: a joiner gets credentials by reload, then listens "
          "and dials like any node",
          "[unit]") {
  test_pki pki;
  recorder se;
  recorder je;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto joiner = start_wire(je, std::nullopt, false);
  CHECK_FALSE(joiner->listen("127.0.0.1", 0));
  REQUIRE(joiner->reload(pki.creds("manager-2")));
  REQUIRE(joiner->listen("127.0.0.1", 0));
  REQUIRE(joiner->port() != 0);
  CHECK_FALSE(joiner->listen("127.0.0.1", 0));
  auto c = server->dial(local(joiner->port()));
  REQUIRE(se.wait_up(c));
  CHECK(se.peer(c).node_id == "manager-2");
  auto taken = joiner->port();
  recorder oe;
  auto w = net::tls_wire::start(oe, {}, pki.creds("manager-3"), "127.0.0.1",
                                taken);
  REQUIRE_FALSE(w);
  CHECK(w.error().message
        == "listen tcp 127.0.0.1:" + std::to_string(taken)
             + ": bind: address already in use");
}

TEST_CASE("tls wire: during a CA rotation a node trusting only the old "
          "root accepts a new root's node through the cross-signature",
          "[unit]") {
  test_pki old_pki;
  test_pki new_pki;
  auto cross = net::cross_sign(old_pki.ca, new_pki.ca.cert_pem);
  REQUIRE(cross);
  recorder se;
  recorder ce;
  // Not yet rotated: trusts the old root only.
  auto server = start_wire(se, old_pki.creds("manager-1"));
  // Rotated: a new root's certificate, the cross-signature in its chain,
  // trusting both roots.
  auto creds = new_pki.creds("manager-2");
  creds.chain_pem = *cross;
  creds.trusted_roots_pem = old_pki.ca.cert_pem + new_pki.ca.cert_pem;
  auto client = start_wire(ce, creds, false);
  auto c = client->dial(local(server->port()));
  REQUIRE(ce.wait_up(c));
  auto s = se.wait_nth_up(1);
  CHECK(se.peer(s).node_id == "manager-2");
  // Without the cross-signature it does not get in.
  recorder be;
  creds.chain_pem = new_pki.ca.cert_pem;
  auto plain = start_wire(be, creds, false);
  auto b = plain->dial(local(server->port()));
  REQUIRE(be.wait_down(b));
  CHECK_FALSE(be.is_up(b));
}
