#include "actors/dns/dns_actor.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <string>
#include <vector>

#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;

// The DNS zone actor follows whole-network snapshots: each update it has
// processed is what the server answers from then on (published to the
// sink), a removed or stopped task is gone from the answers, a bad update
// changes nothing, and an exiting actor withdraws its zone.

namespace {

struct recording_sink : dns::zone_sink {
  std::vector<std::shared_ptr<const dns::zone>> published;
  std::vector<std::string> withdrawn;
  void publish(std::shared_ptr<const dns::zone> z) override {
    published.push_back(std::move(z));
  }
  void withdraw(const std::string& network_id) override {
    withdrawn.push_back(network_id);
  }
};

dns::zone_update snapshot(uint64_t version, std::vector<dns::zone_task> tasks,
                          dns::endpoint_mode mode = dns::endpoint_mode::vip) {
  dns::zone_update u;
  u.network_id = "appnet";
  u.version = version;
  dns::zone_service s;
  s.name = "app";
  s.vip = "10.0.1.2/24";
  s.mode = mode;
  s.tasks = std::move(tasks);
  u.services = {s};
  return u;
}

struct dns_fixture : actor_fixture {
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  dns::dns_zone_actor_type zone_actor = track(dns::spawn_dns_zone(sys, "appnet",
                                                                  sink));

  std::vector<std::string> lookup(const std::string& name) {
    return ask_ok<std::vector<std::string>>(zone_actor, dns_lookup_atom::value,
                                            name);
  }

  // What the server would answer now: the last published zone.
  std::vector<std::string> served(const std::string& name) {
    std::vector<std::string> out;
    if (sink->published.empty())
      return out;
    auto& z = sink->published.back();
    if (auto e = z->find(dns::normalize_name(name)))
      for (auto a : e->addrs) {
        char buf[16] = {};
        in_addr x{};
        x.s_addr = a;
        inet_ntop(AF_INET, &x, buf, sizeof buf);
        out.push_back(buf);
      }
    std::sort(out.begin(), out.end());
    return out;
  }
};

} // namespace

TEST_CASE_METHOD(dns_fixture,
                 "dns zone actor: updates change the answers, a removed "
                 "task is gone once the update is processed",
                 "[actor]") {
  auto n = ask_ok<uint64_t>(zone_actor, dns_update_atom::value,
                            snapshot(1, {{"t1", "1", "10.0.1.5", true},
                                         {"t2", "2", "10.0.1.6", true}}));
  CHECK(n == 4); // app, tasks.app and the two task names
  REQUIRE(sink->published.size() == 1);
  CHECK(sink->published.back()->network_id() == "appnet");
  CHECK(lookup("app") == std::vector<std::string>{"10.0.1.2"});
  CHECK(served("tasks.app")
        == std::vector<std::string>{"10.0.1.5", "10.0.1.6"});
  CHECK(served("app.2.t2") == std::vector<std::string>{"10.0.1.6"});
  // t2 stopped, t3 started: one update, both visible at once
  ask_ok<uint64_t>(zone_actor, dns_update_atom::value,
                   snapshot(2, {{"t1", "1", "10.0.1.5", true},
                                {"t2", "2", "10.0.1.6", false},
                                {"t3", "2", "10.0.1.7", true}}));
  REQUIRE(sink->published.size() == 2);
  CHECK(served("tasks.app")
        == std::vector<std::string>{"10.0.1.5", "10.0.1.7"});
  CHECK(served("app.2.t2").empty());
  CHECK(lookup("app.2.t3") == std::vector<std::string>{"10.0.1.7"});
  // t1 removed from the assignments altogether
  ask_ok<uint64_t>(zone_actor, dns_update_atom::value,
                   snapshot(3, {{"t3", "2", "10.0.1.7", true}}));
  CHECK(served("tasks.app") == std::vector<std::string>{"10.0.1.7"});
  CHECK(lookup("app.1.t1").empty());
}

TEST_CASE_METHOD(dns_fixture,
                 "dns zone actor: dnsrr answers the running tasks, rotated",
                 "[actor]") {
  ask_ok<uint64_t>(
    zone_actor, dns_update_atom::value,
    snapshot(1, {{"t1", "1", "10.0.1.5", true}, {"t2", "2", "10.0.1.6", true}},
             dns::endpoint_mode::dnsrr));
  auto a = lookup("app");
  auto b = lookup("APP.");
  REQUIRE(a.size() == 2);
  CHECK(a[0] == b[1]);
  CHECK(a[1] == b[0]);
}

TEST_CASE_METHOD(dns_fixture,
                 "dns zone actor: a bad or older update changes nothing",
                 "[actor]") {
  ask_ok<uint64_t>(zone_actor, dns_update_atom::value,
                   snapshot(5, {{"t1", "1", "10.0.1.5", true}}));
  auto bad = snapshot(6, {{"t1", "1", "not-an-ip", true}});
  auto r = ask<uint64_t>(zone_actor, dns_update_atom::value, bad);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.code == errc::invalid_spec);
  CHECK(r.error.message
        == "dns zone of network appnet: task t1 has address 'not-an-ip', "
           "not an IPv4 address");
  auto other = snapshot(7, {});
  other.network_id = "othernet";
  CHECK_FALSE(ask<uint64_t>(zone_actor, dns_update_atom::value, other).ok);
  ask_ok<uint64_t>(zone_actor, dns_update_atom::value, snapshot(4, {}));
  CHECK(sink->published.size() == 1);
  CHECK(lookup("tasks.app") == std::vector<std::string>{"10.0.1.5"});
}

TEST_CASE_METHOD(dns_fixture, "dns zone actor: exiting withdraws the zone",
                 "[actor]") {
  ask_ok<uint64_t>(zone_actor, dns_update_atom::value, snapshot(1, {}));
  caf::anon_send_exit(zone_actor, caf::exit_reason::user_shutdown);
  drain();
  CHECK(sink->withdrawn == std::vector<std::string>{"appnet"});
}
