#include "actors/dns/zone.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <set>

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::dns;

namespace {

std::string text(uint32_t a) {
  char buf[INET_ADDRSTRLEN] = {};
  in_addr x{};
  x.s_addr = a;
  inet_ntop(AF_INET, &x, buf, sizeof buf);
  return buf;
}

// The addresses one lookup answers, in answer order.
std::vector<std::string>
answer(const std::vector<std::shared_ptr<const zone>>& view,
       const std::string& name) {
  std::vector<std::string> out;
  auto e = lookup(view, normalize_name(name));
  if (e == nullptr)
    return out;
  uint32_t buf[64];
  auto n = answer_addresses(*e, buf, 64);
  for (size_t i = 0; i < n; ++i)
    out.push_back(text(buf[i]));
  return out;
}

zone_update appnet() {
  zone_update u;
  u.network_id = "net-app";
  u.version = 1;
  zone_service web;
  web.name = "web";
  web.vip = "10.0.1.2/24";
  web.aliases = {"frontend", "WWW"};
  web.tasks = {{"t1", "1", "10.0.1.5/24", true},
               {"t2", "2", "10.0.1.6", true},
               {"t3", "3", "10.0.1.7", false}};
  zone_service db;
  db.name = "stack_db";
  db.mode = endpoint_mode::dnsrr;
  db.tasks = {{"d1", "1", "10.0.1.10", true},
              {"d2", "2", "10.0.1.11", true},
              {"d3", "3", "10.0.1.12", true}};
  u.services = {web, db};
  return u;
}

std::shared_ptr<const zone> build(const zone_update& u) {
  auto z = zone::build(u);
  INFO((z.ok() ? std::string() : z.error().message));
  REQUIRE(z.ok());
  return *z;
}

} // namespace

TEST_CASE("dns zone: a vip service answers its virtual IP, any case, "
          "trailing dot or not",
          "[dns]") {
  std::vector view{build(appnet())};
  CHECK(answer(view, "web") == std::vector<std::string>{"10.0.1.2"});
  CHECK(answer(view, "WEB.") == std::vector<std::string>{"10.0.1.2"});
  CHECK(answer(view, "Web") == std::vector<std::string>{"10.0.1.2"});
  CHECK(answer(view, "nosuch").empty());
  CHECK(answer(view, "web.example.com").empty());
}

TEST_CASE("dns zone: tasks.<service> answers the running tasks only", "[dns]") {
  std::vector view{build(appnet())};
  auto xs = answer(view, "tasks.web");
  std::sort(xs.begin(), xs.end());
  CHECK(xs == std::vector<std::string>{"10.0.1.5", "10.0.1.6"});
}

TEST_CASE("dns zone: a dnsrr service answers its running tasks, rotated "
          "round robin",
          "[dns]") {
  std::vector view{build(appnet())};
  auto a = answer(view, "stack_db");
  auto b = answer(view, "stack_db");
  auto c = answer(view, "stack_db");
  auto d = answer(view, "stack_db");
  REQUIRE(a.size() == 3);
  CHECK(a != b);
  CHECK(b != c);
  CHECK(a == d); // three addresses: the fourth answer starts over
  CHECK(std::set<std::string>(a.begin(), a.end())
        == std::set<std::string>{"10.0.1.10", "10.0.1.11", "10.0.1.12"});
  CHECK(b[0] == a[1]);
  CHECK(c[0] == a[2]);
}

TEST_CASE("dns zone: task names <service>.<slot>.<task id> answer while the "
          "task runs",
          "[dns]") {
  std::vector view{build(appnet())};
  CHECK(answer(view, "web.1.t1") == std::vector<std::string>{"10.0.1.5"});
  CHECK(answer(view, "WEB.2.T2.") == std::vector<std::string>{"10.0.1.6"});
  CHECK(answer(view, "web.3.t3").empty());
}

TEST_CASE("dns zone: aliases answer like the service, tasks.<alias> too",
          "[dns]") {
  std::vector view{build(appnet())};
  CHECK(answer(view, "frontend") == std::vector<std::string>{"10.0.1.2"});
  CHECK(answer(view, "www") == std::vector<std::string>{"10.0.1.2"});
  CHECK(answer(view, "tasks.frontend").size() == 2);
}

TEST_CASE("dns zone: only the asker's networks are visible, searched in "
          "order",
          "[dns]") {
  auto app = build(appnet());
  zone_update other;
  other.network_id = "net-other";
  zone_service s;
  s.name = "secret";
  s.vip = "10.0.9.2";
  zone_service web;
  web.name = "web";
  web.vip = "10.0.9.3";
  other.services = {s, web};
  auto oth = build(other);
  std::vector<std::shared_ptr<const zone>> only_app{app};
  CHECK(answer(only_app, "secret").empty());
  std::vector<std::shared_ptr<const zone>> both{app, oth};
  CHECK(answer(both, "secret") == std::vector<std::string>{"10.0.9.2"});
  CHECK(answer(both, "web") == std::vector<std::string>{"10.0.1.2"});
  std::vector<std::shared_ptr<const zone>> reversed{oth, app};
  CHECK(answer(reversed, "web") == std::vector<std::string>{"10.0.9.3"});
}

TEST_CASE("dns zone: a name two services answer holds both addresses",
          "[dns]") {
  zone_update u;
  u.network_id = "n";
  zone_service a;
  a.name = "a";
  a.vip = "10.0.0.2";
  a.aliases = {"shared"};
  zone_service b;
  b.name = "b";
  b.vip = "10.0.0.3";
  b.aliases = {"shared"};
  u.services = {a, b};
  std::vector view{build(u)};
  auto xs = answer(view, "shared");
  std::sort(xs.begin(), xs.end());
  CHECK(xs == std::vector<std::string>{"10.0.0.2", "10.0.0.3"});
}

TEST_CASE("dns zone: a dnsrr service without running tasks has no name",
          "[dns]") {
  zone_update u;
  u.network_id = "n";
  zone_service a;
  a.name = "a";
  a.mode = endpoint_mode::dnsrr;
  a.tasks = {{"t1", "1", "10.0.0.5", false}};
  u.services = {a};
  std::vector view{build(u)};
  CHECK(answer(view, "a").empty());
  CHECK(answer(view, "tasks.a").empty());
}

TEST_CASE("dns zone: a bad snapshot is refused with one clear error", "[dns]") {
  auto u = appnet();
  u.services[0].tasks[0].address = "10.0.1.300";
  auto z = zone::build(u);
  REQUIRE_FALSE(z.ok());
  CHECK(z.error().code == errc::invalid_spec);
  CHECK(z.error().message
        == "dns zone of network net-app: task t1 has address '10.0.1.300', "
           "not an IPv4 address");
  u = appnet();
  u.services[0].vip = "";
  CHECK_FALSE(zone::build(u).ok());
  u = appnet();
  u.services[0].name = "a..b";
  CHECK_FALSE(zone::build(u).ok());
  u = appnet();
  u.services[0].aliases = {std::string(64, 'x')};
  CHECK_FALSE(zone::build(u).ok());
}

TEST_CASE("dns zone: IPv4 parsing takes an optional prefix length", "[dns]") {
  uint32_t a = 0;
  CHECK(parse_ipv4("10.1.2.3", a));
  CHECK(text(a) == "10.1.2.3");
  CHECK(parse_ipv4("10.1.2.3/16", a));
  CHECK_FALSE(parse_ipv4("10.1.2.3/33", a));
  CHECK_FALSE(parse_ipv4("10.1.2.3/", a));
  CHECK_FALSE(parse_ipv4("fe80::1", a));
  CHECK_FALSE(parse_ipv4("", a));
  CHECK_FALSE(parse_ipv4("10.1.2", a));
}
