#include "net/dns/server.hpp"
#include "net/dns/wire.hpp"

#include <set>

#include <catch2/catch.hpp>

#include "unit/dns/dns_test_util.hpp"

using namespace actorswarm;
using namespace actorswarm::dns;
using namespace dns_test;

// The server on real loopback sockets (port 0, so tests run in parallel):
// local answers, forwarding to a fake upstream the test owns, SERVFAIL
// when the upstream stays silent, TCP framing and limits.

namespace {

std::shared_ptr<const zone> make_zone(const std::string& net,
                                      const std::string& svc,
                                      const std::string& vip,
                                      uint64_t version = 1) {
  zone_update u;
  u.network_id = net;
  u.version = version;
  zone_service s;
  s.name = svc;
  s.vip = vip;
  s.tasks = {{"t1", "1", "10.9.0.5", true}, {"t2", "2", "10.9.0.6", true}};
  u.services = {s};
  auto z = zone::build(u);
  REQUIRE(z.ok());
  return *z;
}

// A UDP socket on 127.0.0.1 that plays an upstream resolver.
struct fake_upstream {
  int fd = -1;
  uint16_t port = 0;
  fake_upstream() {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    auto a = loopback("127.0.0.1", 0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~fake_upstream() {
    ::close(fd);
  }
  endpoint address() const {
    auto e = parse_endpoint("127.0.0.1:" + std::to_string(port));
    REQUIRE(e.ok());
    return *e;
  }
  // Receives one query (bounded wait); `from` is where to answer.
  bytes receive(sockaddr_in& from) {
    bytes b;
    if (!wait_readable(fd))
      return b;
    b.resize(4096);
    socklen_t len = sizeof from;
    auto n = ::recvfrom(fd, b.data(), b.size(), 0,
                        reinterpret_cast<sockaddr*>(&from), &len);
    b.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return b;
  }
  // Answers `q` with one A record `addr` (id as given).
  void answer(const bytes& q, const sockaddr_in& to, const char* addr,
              uint16_t id) {
    query parsed;
    REQUIRE(parse_query(q.data(), q.size(), parsed) == verdict::answer);
    parsed.id = id;
    in_addr a{};
    inet_pton(AF_INET, addr, &a);
    uint32_t x = a.s_addr;
    uint8_t out[512];
    auto n = write_response(q.data(), parsed, rcode::noerror, &x, 1, 30, out,
                            sizeof out);
    ::sendto(fd, out, n, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }
};

struct server_fixture {
  std::unique_ptr<server> srv;
  uint16_t port = 0;
  uint64_t listener = 0;

  void start(server_config cfg, std::vector<std::string> nets = {"n1"}) {
    auto s = server::start(std::move(cfg));
    REQUIRE(s.ok());
    srv = std::move(*s);
    auto socks = open_dns_sockets("127.0.0.1", 0);
    REQUIRE(socks.ok());
    port = socks->port();
    REQUIRE(port != 0);
    listener = srv->add_listener(std::move(*socks), std::move(nets));
  }

  answer ask(const std::string& name, uint16_t type = type_a,
             uint16_t id = 77) {
    return read_answer(udp_exchange("127.0.0.1", port,
                                    make_query(id, name, type)));
  }
};

} // namespace

TEST_CASE_METHOD(server_fixture,
                 "dns server: our names answered over UDP, TTL 600, AAAA "
                 "and other types empty NOERROR",
                 "[dns]") {
  start({});
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  auto a = ask("web");
  REQUIRE(a.ok);
  CHECK(a.id == 77);
  CHECK(a.rcode == 0);
  CHECK(a.a == std::vector<std::string>{"10.9.0.2"});
  CHECK(a.ttls == std::vector<uint32_t>{600});
  CHECK(ask("WEB").a == std::vector<std::string>{"10.9.0.2"});
  CHECK(ask("tasks.web").a.size() == 2);
  auto six = ask("web", type_aaaa);
  REQUIRE(six.ok);
  CHECK(six.rcode == 0);
  CHECK(six.answers == 0);
  auto mx = ask("web", 15);
  CHECK(mx.rcode == 0);
  CHECK(mx.answers == 0);
  CHECK(srv->stats().local_answers == 5);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: a new snapshot replaces the zone, a withdrawn "
                 "zone answers nothing",
                 "[dns]") {
  start({});
  srv->publish(make_zone("n1", "web", "10.9.0.2", 1));
  CHECK(ask("web").a == std::vector<std::string>{"10.9.0.2"});
  srv->publish(make_zone("n1", "web", "10.9.0.3", 2));
  CHECK(ask("web").a == std::vector<std::string>{"10.9.0.3"});
  srv->publish(make_zone("n1", "web", "10.9.0.4", 1)); // older: ignored
  CHECK(ask("web").a == std::vector<std::string>{"10.9.0.3"});
  srv->withdraw("n1");
  auto a = ask("web"); // not ours any more, no upstream: SERVFAIL
  REQUIRE(a.ok);
  CHECK(a.rcode == 2);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: the tasks' search domains are stripped from "
                 "names that are not ours with them",
                 "[dns]") {
  server_config cfg;
  cfg.search_domains = {"Example.COM.", "corp"};
  start(cfg);
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  CHECK(ask("web.example.com").a == std::vector<std::string>{"10.9.0.2"});
  CHECK(ask("tasks.web.corp").a.size() == 2);
  CHECK(ask("web.example.org").rcode == 2); // not a search domain
  CHECK(ask("example.com").rcode == 2);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: a listener sees only its own networks", "[dns]") {
  start({}, {"n1"});
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  srv->publish(make_zone("n2", "secret", "10.9.1.2"));
  CHECK(ask("secret").rcode == 2); // forwarded (nowhere): SERVFAIL
  srv->set_networks(listener, {"n1", "n2"});
  CHECK(ask("secret").a == std::vector<std::string>{"10.9.1.2"});
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: malformed queries get FORMERR, NOTIMP or "
                 "REFUSED, or nothing, and the server goes on",
                 "[dns]") {
  start({});
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  bytes loop{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  auto a = read_answer(udp_exchange("127.0.0.1", port, loop));
  REQUIRE(a.ok);
  CHECK(a.rcode == 1);
  auto notify = make_query(2, "web");
  notify[2] = static_cast<uint8_t>((notify[2] & 0x87) | (4 << 3));
  CHECK(read_answer(udp_exchange("127.0.0.1", port, notify)).rcode == 4);
  CHECK(read_answer(udp_exchange("127.0.0.1", port,
                                 make_query(3, "web", type_a, 3)))
          .rcode
        == 5);
  // a response and a runt get no answer (a short bounded wait)
  auto resp = make_query(4, "web");
  resp[2] |= 0x80;
  CHECK(udp_exchange("127.0.0.1", port, resp, 200).empty());
  CHECK(udp_exchange("127.0.0.1", port, bytes{1, 2, 3}, 200).empty());
  // an oversized datagram is not answered
  bytes big(6000, 0);
  auto q = make_query(5, "web");
  std::copy(q.begin(), q.end(), big.begin());
  CHECK(udp_exchange("127.0.0.1", port, big, 200).empty());
  CHECK(ask("web").a == std::vector<std::string>{"10.9.0.2"});
  auto st = srv->stats();
  CHECK(st.rejected == 3);
  CHECK(st.dropped == 3);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: other names are forwarded upstream with a new "
                 "id and relayed under the client's",
                 "[dns]") {
  fake_upstream up;
  server_config cfg;
  cfg.upstreams = {up.address()};
  start(cfg);
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto dst = loopback("127.0.0.1", port);
  auto q = make_query(0x1111, "Example.COM");
  ::sendto(client, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&dst),
           sizeof dst);
  sockaddr_in from{};
  auto fwd = up.receive(from);
  REQUIRE(fwd.size() == q.size());
  CHECK(std::equal(q.begin() + 2, q.end(), fwd.begin() + 2));
  uint16_t fid = wire_id(fwd.data());
  // a wrong id and a wrong question are ignored; the right one relayed
  up.answer(fwd, from, "192.0.2.66", static_cast<uint16_t>(fid ^ 1));
  auto other = make_query(fid, "example.org");
  up.answer(other, from, "192.0.2.67", fid);
  up.answer(fwd, from, "192.0.2.1", fid);
  REQUIRE(wait_readable(client));
  bytes b(512);
  auto n = ::recv(client, b.data(), b.size(), 0);
  b.resize(static_cast<size_t>(n));
  auto a = read_answer(b);
  REQUIRE(a.ok);
  CHECK(a.id == 0x1111);
  CHECK(a.a == std::vector<std::string>{"192.0.2.1"});
  CHECK_FALSE(wait_readable(client, 100)); // nothing else came
  ::close(client);
  auto st = srv->stats();
  CHECK(st.forwarded == 1);
  CHECK(st.upstream_answers == 1);
  CHECK(st.stray_answers == 2);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: forwarded queries get random upstream ids",
                 "[dns]") {
  fake_upstream up;
  server_config cfg;
  cfg.upstreams = {up.address()};
  start(cfg);
  std::set<uint16_t> ids;
  int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto dst = loopback("127.0.0.1", port);
  for (int i = 0; i < 20; ++i) {
    auto q = make_query(1, "name" + std::to_string(i) + ".example");
    ::sendto(client, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&dst),
             sizeof dst);
    sockaddr_in from{};
    auto fwd = up.receive(from);
    REQUIRE(fwd.size() >= 12);
    ids.insert(wire_id(fwd.data()));
  }
  ::close(client);
  CHECK(ids.size() >= 18); // 20 draws from 65536: a repeat is rare
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: SERVFAIL when no upstream answers in time, "
                 "after trying each",
                 "[dns]") {
  fake_upstream silent1;
  fake_upstream silent2;
  server_config cfg;
  cfg.upstreams = {silent1.address(), silent2.address()};
  cfg.upstream_timeout = std::chrono::milliseconds(50);
  start(cfg);
  auto t0 = std::chrono::steady_clock::now();
  auto a = ask("nowhere.example");
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(a.ok);
  CHECK(a.id == 77);
  CHECK(a.rcode == 2);
  CHECK(took >= std::chrono::milliseconds(100));
  sockaddr_in from{};
  CHECK(silent1.receive(from).size() > 12);
  CHECK(silent2.receive(from).size() > 12);
  CHECK(srv->stats().servfail == 1);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: SERVFAIL when too many queries are out already",
                 "[dns]") {
  fake_upstream silent;
  server_config cfg;
  cfg.upstreams = {silent.address()};
  cfg.max_outstanding = 1;
  cfg.upstream_timeout = std::chrono::milliseconds(5000);
  start(cfg);
  int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto dst = loopback("127.0.0.1", port);
  auto q = make_query(1, "one.example");
  ::sendto(client, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&dst),
           sizeof dst);
  sockaddr_in from{};
  REQUIRE(silent.receive(from).size() > 12); // the first is out
  ::close(client);
  auto a = ask("two.example");
  REQUIRE(a.ok);
  CHECK(a.rcode == 2);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: TCP with length prefixes, several queries on "
                 "one connection, forwarded ones too",
                 "[dns]") {
  fake_upstream up;
  server_config cfg;
  cfg.upstreams = {up.address()};
  start(cfg);
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  tcp_client c("127.0.0.1", port);
  REQUIRE(c.fd >= 0);
  c.send_msg(make_query(1, "web"));
  c.send_msg(make_query(2, "tasks.web"));
  auto a1 = read_answer(c.recv_msg());
  auto a2 = read_answer(c.recv_msg());
  CHECK(a1.id == 1);
  CHECK(a1.a == std::vector<std::string>{"10.9.0.2"});
  CHECK(a2.id == 2);
  CHECK(a2.a.size() == 2);
  // a query split across two writes
  auto q = make_query(3, "web");
  bytes framed;
  put16(framed, static_cast<uint16_t>(q.size()));
  framed.insert(framed.end(), q.begin(), q.end());
  c.send_raw(bytes(framed.begin(), framed.begin() + 5));
  c.send_raw(bytes(framed.begin() + 5, framed.end()));
  CHECK(read_answer(c.recv_msg()).id == 3);
  // forwarded over UDP, relayed on the connection
  c.send_msg(make_query(4, "example.com"));
  sockaddr_in from{};
  auto fwd = up.receive(from);
  REQUIRE(fwd.size() > 12);
  up.answer(fwd, from, "192.0.2.9", wire_id(fwd.data()));
  auto a4 = read_answer(c.recv_msg());
  CHECK(a4.id == 4);
  CHECK(a4.a == std::vector<std::string>{"192.0.2.9"});
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: TCP connections are bounded and idle ones "
                 "closed",
                 "[dns]") {
  server_config cfg;
  cfg.max_tcp_connections = 1;
  cfg.tcp_idle_timeout = std::chrono::milliseconds(100);
  start(cfg);
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  tcp_client first("127.0.0.1", port);
  REQUIRE(first.fd >= 0);
  first.send_msg(make_query(1, "web"));
  CHECK(read_answer(first.recv_msg()).id == 1);
  tcp_client second("127.0.0.1", port);
  CHECK(second.closed_by_peer());
  CHECK(first.closed_by_peer()); // idle for 100 ms
  CHECK(srv->stats().tcp_refused == 1);
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: a TCP stream that is not DNS is closed",
                 "[dns]") {
  start({});
  tcp_client c("127.0.0.1", port);
  REQUIRE(c.fd >= 0);
  c.send_raw(bytes{0, 3, 1, 2, 3});
  CHECK(c.closed_by_peer());
}

TEST_CASE_METHOD(server_fixture,
                 "dns server: a removed listener's socket is closed", "[dns]") {
  start({});
  srv->publish(make_zone("n1", "web", "10.9.0.2"));
  CHECK(ask("web").a.size() == 1);
  srv->remove_listener(listener);
  CHECK(udp_exchange("127.0.0.1", port, make_query(1, "web"), 200).empty());
}

TEST_CASE("dns upstreams: resolv.conf nameservers in order, without "
          "127.0.0.11",
          "[dns]") {
  auto ups = parse_resolv_conf("# comment\nsearch example.com\n"
                               "nameserver 127.0.0.11\n"
                               "nameserver 192.0.2.53\n"
                               "nameserver   2001:db8::53  \n"
                               "nameserver fe80::1%eth0\n"
                               "nameserver bogus\n"
                               "options ndots:0\n");
  REQUIRE(ups.size() == 2);
  CHECK(ups[0].to_string() == "192.0.2.53:53");
  CHECK(ups[1].to_string() == "[2001:db8::53]:53");
  CHECK(parse_resolv_search("domain a.example\nsearch b.example c.example\n")
        == std::vector<std::string>{"b.example", "c.example"});
  CHECK(parse_resolv_search("nameserver 1.1.1.1\n").empty());
  auto e = parse_endpoint("127.0.0.1:5353");
  REQUIRE(e.ok());
  CHECK(e->to_string() == "127.0.0.1:5353");
  CHECK(parse_endpoint("[::1]:54")->to_string() == "[::1]:54");
  CHECK(parse_endpoint("10.0.0.1")->to_string() == "10.0.0.1:53");
  auto bad = parse_endpoint("10.0.0.1:99999");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message
        == "invalid DNS server address '10.0.0.1:99999': expected IP:PORT");
  CHECK_FALSE(parse_endpoint("host:53").ok());
}
