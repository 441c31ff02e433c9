// The cluster port's wire (net/tls_wire.hpp) against peers without a valid
// cluster certificate, or none that finish a handshake: each costs one
// closed connection, is counted as refused, never comes up, and a valid
// node still gets in afterwards (CAF's module stalled every connection
// after one failed: shared/notes/caf-openssl.md §7).

#include "net/tls_wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/tls_conn.hpp"
#include "wire_fixture.hpp"

using namespace wire_test;

namespace {

const std::string hello(net::wire_hello, net::wire_hello_bytes);

// A valid node dials `server` and comes up on both ends.
void valid_node_gets_in(const test_pki& pki, net::tls_wire& server,
                        recorder& se) {
  recorder ve;
  auto valid = start_wire(ve, pki.creds("manager-2"), false);
  auto before = se.ups();
  auto c = valid->dial(local(server.port()));
  REQUIRE(ve.wait_up(c));
  REQUIRE(se.wait_nth_up(before + 1) != 0);
  valid->send(c, "after");
  auto s = se.wait_nth_up(before + 1);
  REQUIRE(se.wait_frames(s, 1));
}

} // namespace

TEST_CASE("tls wire: self-signed, other-CA, expired and revoked "
          "certificates are refused in the handshake and a valid node "
          "still gets in",
          "[unit]") {
  test_pki pki;
  test_pki other; // same cluster id and CA name, another key
  recorder se;
  auto server = start_wire(se, pki.creds("manager-1"));
  server->set_revoked({"revoked-node"});
  std::vector<std::pair<std::string, net::wire_credentials>> cases{
    {"self-signed", pki.self_signed("node-s")},
    {"other CA", pki.creds_from(other.ca, "node-o")},
    {"expired", pki.creds("node-e", net::manager_ou, 0)},
    {"revoked", pki.creds("revoked-node")},
  };
  uint64_t refused = 0;
  for (auto& [what, creds] : cases) {
    INFO(what);
    recorder ce;
    auto client = start_wire(ce, creds, false);
    auto c = client->dial(local(server->port()));
    REQUIRE(ce.wait_down(c));
    CHECK_FALSE(ce.is_up(c));
    INFO("reason: " << ce.reason(c));
    // Counted before the alert left the server.
    CHECK(server->stats().refused == ++refused);
    CHECK(se.ups() == 0);
  }
  valid_node_gets_in(pki, *server, se);
  CHECK(server->stats().refused == refused);
}

TEST_CASE("tls wire: a certificate of the cluster's CA that names another "
          "cluster is refused",
          "[unit]") {
  test_pki pki;
  recorder se;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto kp = test_pki::issue(pki.ca, "node-x", net::manager_ou, "cluster-2", 30);
  tls_probe probe(server->port(), kp.cert_pem, kp.key_pem);
  // In TLS 1.3 the client finishes first; the server's verdict follows.
  REQUIRE(probe.handshake());
  probe.send(hello);
  CHECK(probe.read(8).empty());
  CHECK(server->stats().refused == 1);
  CHECK(se.ups() == 0);
  valid_node_gets_in(pki, *server, se);
}

TEST_CASE("tls wire: a server whose certificate the dialer does not trust "
          "is refused by the dialer",
          "[unit]") {
  test_pki pki;
  test_pki other;
  recorder se;
  recorder ce;
  auto server = start_wire(se, other.creds("manager-1"));
  auto client = start_wire(ce, pki.creds("worker-1"), false);
  auto c = client->dial(local(server->port()));
  REQUIRE(ce.wait_down(c));
  CHECK(ce.reason(c).find("certificate refused") != std::string::npos);
  CHECK(client->stats().refused == 1);
  CHECK(se.ups() == 0);
}

TEST_CASE("tls wire: an authenticated peer announcing a 4 GiB frame is "
          "closed without allocating it",
          "[unit]") {
  test_pki pki;
  recorder se;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto kp = test_pki::issue(pki.ca, "node-y", net::manager_ou, pki.cluster, 30);
  tls_probe probe(server->port(), kp.cert_pem, kp.key_pem);
  REQUIRE(probe.handshake());
  probe.send(hello + std::string("\xff\xff\xff\xff", 4));
  CHECK(probe.read(8) == hello);
  auto s = se.wait_nth_up(1);
  REQUIRE(s != 0);
  CHECK(se.peer(s).node_id == "node-y");
  REQUIRE(se.wait_down(s));
  CHECK(se.reason(s).find("4294967295 bytes is over the limit")
        != std::string::npos);
  CHECK(probe.read(1).empty());
  valid_node_gets_in(pki, *server, se);
}

TEST_CASE("tls wire: a peer that does not speak the wire's hello is "
          "closed",
          "[unit]") {
  test_pki pki;
  recorder se;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto kp = test_pki::issue(pki.ca, "node-z", net::manager_ou, pki.cluster, 30);
  tls_probe probe(server->port(), kp.cert_pem, kp.key_pem);
  REQUIRE(probe.handshake());
  probe.send("GET / HTTP/1.1\r\n\r\n");
  probe.read(8); // the server's hello
  CHECK(probe.read(1).empty());
  CHECK(se.ups() == 0);
  CHECK(server->stats().refused == 1);
}

TEST_CASE("tls wire: a TCP client that sends nothing is closed after the "
          "handshake timeout",
          "[unit]") {
  test_pki pki;
  recorder se;
  net::wire_limits limits;
  limits.handshake_timeout_ms = 200;
  auto server = start_wire(se, pki.creds("manager-1"), true, limits);
  auto t0 = std::chrono::steady_clock::now();
  int fd = raw_connect(server->port());
  REQUIRE(wait_closed(fd));
  auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  CHECK(took >= std::chrono::milliseconds(200));
  CHECK(took < std::chrono::seconds(5));
  auto st = server->stats();
  CHECK(st.refused == 1);
  CHECK(st.open == 0);
  CHECK(st.unauthenticated == 0);
}

TEST_CASE("tls wire: idle connections beyond max_unauthenticated are "
          "closed at accept, the rest at their handshake deadline, then a "
          "valid node gets in",
          "[unit]") {
  test_pki pki;
  recorder se;
  net::wire_limits limits;
  limits.max_unauthenticated = 4;
  limits.handshake_timeout_ms = 1500;
  auto server = start_wire(se, pki.creds("manager-1"), true, limits);
  std::vector<int> fds;
  for (int i = 0; i < 7; ++i)
    fds.push_back(raw_connect(server->port()));
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 4; i < fds.size(); ++i)
    REQUIRE(wait_closed(fds[i]));
  bool at_once = std::chrono::steady_clock::now() - t0
                 < std::chrono::milliseconds(1500);
  for (size_t i = 0; i < 4; ++i)
    CHECK((still_open(fds[i]) || !at_once));
  CHECK(server->stats().unauthenticated <= 4);
  for (size_t i = 0; i < 4; ++i)
    REQUIRE(wait_closed(fds[i]));
  for (int fd : fds)
    ::close(fd);
  CHECK(server->stats().refused == 7);
  CHECK(server->stats().unauthenticated == 0);
  valid_node_gets_in(pki, *server, se);
}

TEST_CASE("tls wire: 200 connections of random bytes cost one closed "
          "connection each and a valid node still gets in",
          "[unit]") {
  test_pki pki;
  recorder se;
  // About one in 500 random starts looks like the header of an SSLv2
  // ClientHello announcing more than arrived: the handshake deadline ends
  // those.
  net::wire_limits limits;
  limits.handshake_timeout_ms = 1000;
  auto server = start_wire(se, pki.creds("manager-1"), true, limits);
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) {
    int fd = raw_connect(server->port());
    auto junk = net::random_bytes(512);
    REQUIRE(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL) == 512);
    fds.push_back(fd);
  }
  for (int fd : fds) {
    CHECK(wait_closed(fd));
    ::close(fd);
  }
  auto st = server->stats();
  CHECK(st.refused == 200);
  CHECK(st.open == 0);
  CHECK(se.ups() == 0);
  valid_node_gets_in(pki, *server, se);
}

TEST_CASE("tls wire: a peer that leaves in the middle of a handshake or "
          "without close_notify does not disturb other connections",
          "[unit]") {
  test_pki pki;
  recorder se;
  recorder ce;
  auto server = start_wire(se, pki.creds("manager-1"));
  auto client = start_wire(ce, pki.creds("worker-1"), false);
  auto c = client->dial(local(server->port()));
  REQUIRE(ce.wait_up(c));
  auto s = se.wait_nth_up(1);
  {
    // Half a ClientHello, then gone.
    int fd = raw_connect(server->port());
    std::string part("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    ::send(fd, part.data(), part.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
  {
    // A finished handshake, then the socket closes without close_notify.
    auto kp = test_pki::issue(pki.ca, "node-q", net::manager_ou, pki.cluster,
                              30);
    tls_probe probe(server->port(), kp.cert_pem, kp.key_pem);
    REQUIRE(probe.handshake());
    probe.send(hello);
    CHECK(probe.read(8) == hello);
  }
  auto q = se.wait_nth_up(2);
  REQUIRE(se.wait_down(q));
  // The first connection is still served, both ways.
  for (int i = 0; i < 3; ++i) {
    client->send(c, "n" + std::to_string(i));
    server->send(s, "m" + std::to_string(i));
  }
  REQUIRE(se.wait_frames(s, 3));
  REQUIRE(ce.wait_frames(c, 3));
  CHECK_FALSE(ce.is_down(c));
}

TEST_CASE("tls wire: a joiner is closed when its lifetime is over", "[unit]") {
  test_pki pki;
  recorder se;
  recorder je;
  net::wire_limits limits;
  limits.unauthenticated_lifetime_ms = 300;
  auto server = start_wire(se, pki.creds("manager-1"), true, limits);
  auto joiner = start_wire(je, std::nullopt, false);
  net::dial_options opts;
  opts.pinned_root = pki.digest();
  auto t0 = std::chrono::steady_clock::now();
  auto c = joiner->dial(local(server->port()), opts);
  REQUIRE(je.wait_up(c));
  auto s = se.wait_nth_up(1);
  REQUIRE(se.wait_down(s));
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  CHECK(se.reason(s).find("joiner's time") != std::string::npos);
  REQUIRE(je.wait_down(c));
  CHECK(server->stats().unauthenticated == 0);
}

TEST_CASE("tls wire: a peer that does not read is closed when its queue "
          "is full, and a peer gone mid-write raises no SIGPIPE",
          "[unit]") {
  test_pki pki;
  recorder se;
  net::wire_limits limits;
  limits.max_queued_bytes = 1 << 20;
  auto server = start_wire(se, pki.creds("manager-1"), true, limits);
  auto kp = test_pki::issue(pki.ca, "node-r", net::manager_ou, pki.cluster, 30);
  net::conn_id s = 0;
  {
    tls_probe probe(server->port(), kp.cert_pem, kp.key_pem);
    REQUIRE(probe.handshake());
    probe.send(hello);
    s = se.wait_nth_up(1);
    REQUIRE(s != 0);
    // The probe reads nothing: socket buffers fill, then the queue.
    std::string chunk(64 << 10, 'w');
    for (int i = 0; i < 400 && !se.is_down(s); ++i)
      server->send(s, chunk);
    REQUIRE(se.wait_down(s));
    CHECK(se.reason(s).find("does not read") != std::string::npos);
  }
  // Now one that reads, then leaves while the server writes to it.
  auto kp2 = test_pki::issue(pki.ca, "node-t", net::manager_ou, pki.cluster,
                             30);
  net::conn_id s2 = 0;
  {
    tls_probe probe(server->port(), kp2.cert_pem, kp2.key_pem);
    REQUIRE(probe.handshake());
    probe.send(hello);
    s2 = se.wait_nth_up(2);
    REQUIRE(s2 != 0);
    CHECK(probe.read(8) == hello);
  }
  for (int i = 0; i < 200 && !se.is_down(s2); ++i)
    server->send(s2, std::string(16 << 10, 'x'));
  REQUIRE(se.wait_down(s2));
  valid_node_gets_in(pki, *server, se);
}

TEST_CASE("tls wire: a dial to a server that never answers the handshake "
          "ends at its timeout",
          "[unit]") {
  // A listener nobody accepts from: TCP connects, TLS never answers.
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(::listen(lfd, 4) == 0);
  socklen_t len = sizeof(a);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  test_pki pki;
  recorder ce;
  auto client = start_wire(ce, pki.creds("worker-1"), false);
  net::dial_options opts;
  opts.timeout_ms = 200;
  auto t0 = std::chrono::steady_clock::now();
  auto c = client->dial(local(ntohs(a.sin_port)), opts);
  REQUIRE(ce.wait_down(c));
  CHECK(std::chrono::steady_clock::now() - t0 >= 200ms);
  CHECK(ce.reason(c).find("timed out") != std::string::npos);
  CHECK(client->stats().open == 0);
  ::close(lfd);
}
