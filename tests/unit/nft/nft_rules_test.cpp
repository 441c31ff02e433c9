#include "os/nft_rules.hpp"

#include <catch2/catch.hpp>

#include "os/nftables.hpp"
#include "test_netns.hpp"

using namespace actorswarm;
using namespace actorswarm::nft;

namespace {

// Every generated script must parse and evaluate (libnftables dry run, in an
// empty namespace of the test's own: the host's rules are never read).
void require_parses(const std::string& script) {
  if (!test::is_root()) {
    WARN("not root: the dry run of the generated script is skipped");
    return;
  }
  test::netns ns;
  REQUIRE(ns.ok());
  auto checked = check(ns.fd(), script);
  INFO(script);
  REQUIRE(checked.ok());
}

std::string render_ok(const result<std::string>& x) {
  if (!x)
    FAIL(x.error().message);
  return *x;
}

constexpr const char* replace_head = "table ip actorswarm\n"
                                     "delete table ip actorswarm\n"
                                     "table ip actorswarm {\n";

mesh_state sample_mesh() {
  mesh_state x;
  x.sandbox_address = "172.31.255.2";
  x.host_device = "as_ingress0";
  x.ingress_ports.push_back(
    {protocol::tcp, 8000, 80, {"10.0.0.5", "10.0.0.6", "10.0.0.7"}});
  x.ingress_ports.push_back({protocol::udp, 5353, 53, {"10.0.0.8"}});
  x.ingress_ports.push_back({protocol::tcp, 9000, 90, {}});
  x.host_ports.push_back({protocol::tcp, 8080, 80, "10.99.0.3"});
  return x;
}

} // namespace

TEST_CASE("nft rules: a task without services gets empty chains",
          "[unit][nft]") {
  auto text = render_ok(render_vip(vip_state{}));
  CHECK(text
        == std::string{replace_head}
             + "  chain vip_nat {\n"
               "    type nat hook output priority -100; policy accept;\n"
               "  }\n"
               "  chain vip_refuse {\n"
               "    type filter hook output priority filter; policy accept;\n"
               "  }\n"
               "}\n");
  require_parses(text);
}

TEST_CASE("nft rules: VIPs with 0, 1 and many backends", "[unit][nft]") {
  vip_state x;
  x.services.push_back({"10.0.1.2", {"10.0.1.5", "10.0.1.6", "10.0.1.9"}});
  x.services.push_back({"10.0.1.3", {"10.0.1.7"}});
  x.services.push_back({"10.0.1.4", {}});
  auto text = render_ok(render_vip(x));
  CHECK(text
        == std::string{replace_head}
             + "  chain vip_nat {\n"
               "    type nat hook output priority -100; policy accept;\n"
               "    ip daddr 10.0.1.2 meta l4proto { tcp, udp } dnat to "
               "numgen inc mod 3 map { 0 : 10.0.1.5, 1 : 10.0.1.6, "
               "2 : 10.0.1.9 }\n"
               "    ip daddr 10.0.1.3 meta l4proto { tcp, udp } dnat to "
               "10.0.1.7\n"
               "  }\n"
               "  chain vip_refuse {\n"
               "    type filter hook output priority filter; policy accept;\n"
               "    ip daddr 10.0.1.4 meta l4proto tcp reject with tcp reset\n"
               "    ip daddr 10.0.1.4 reject\n"
               "  }\n"
               "}\n");
  require_parses(text);
}

TEST_CASE("nft rules: a 100-backend VIP parses", "[unit][nft]") {
  vip_service s{"10.1.0.2", {}};
  for (int i = 0; i < 100; ++i)
    s.backends.push_back("10.1." + std::to_string(1 + i / 200) + "."
                         + std::to_string(10 + i % 200));
  auto text = render_ok(render_vip(vip_state{default_table, {s}}));
  CHECK(text.find("numgen inc mod 100 map { 0 : 10.1.1.10, ") != text.npos);
  CHECK(text.find("99 : 10.1.1.109 }") != text.npos);
  require_parses(text);
}

TEST_CASE("nft rules: the ingress sandbox balances each published port",
          "[unit][nft]") {
  auto text = render_ok(render_sandbox(sample_mesh()));
  CHECK(text
        == std::string{replace_head}
             + "  chain mesh_dnat {\n"
               "    type nat hook prerouting priority dstnat; policy accept;\n"
               "    ip daddr 172.31.255.2 tcp dport 8000 ct mark set ct mark "
               "| 0x00100000 dnat to numgen inc mod 3 map { 0 : 10.0.0.5, "
               "1 : 10.0.0.6, 2 : 10.0.0.7 }:80\n"
               "    ip daddr 172.31.255.2 udp dport 5353 ct mark set ct mark "
               "| 0x00100000 dnat to 10.0.0.8:53\n"
               "  }\n"
               "  chain mesh_snat {\n"
               "    type nat hook postrouting priority srcnat; policy "
               "accept;\n"
               "    ct mark & 0x00100000 == 0x00100000 masquerade\n"
               "  }\n"
               "  chain mesh_refuse {\n"
               "    type filter hook input priority filter; policy accept;\n"
               "    ip daddr 172.31.255.2 tcp dport 9000 reject with tcp "
               "reset\n"
               "  }\n"
               "}\n");
  require_parses(text);
}

TEST_CASE("nft rules: the host sends ingress ports to the sandbox and "
          "host-mode ports to their task",
          "[unit][nft]") {
  auto text = render_ok(render_host(sample_mesh()));
  std::string dnat
    = "    fib daddr type local tcp dport 8000 ct mark set ct mark | "
      "0x00100000 dnat to 172.31.255.2\n"
      "    fib daddr type local udp dport 5353 ct mark set ct mark | "
      "0x00100000 dnat to 172.31.255.2\n"
      "    fib daddr type local tcp dport 9000 ct mark set ct mark | "
      "0x00100000 dnat to 172.31.255.2\n"
      "    fib daddr type local tcp dport 8080 ct mark set ct mark | "
      "0x00100000 dnat to 10.99.0.3:80\n";
  CHECK(text
        == std::string{replace_head}
             + "  chain mesh_dnat {\n"
               "    type nat hook prerouting priority dstnat; policy accept;\n"
             + dnat
             + "  }\n"
               "  chain mesh_local {\n"
               "    type nat hook output priority -100; policy accept;\n"
             + dnat
             + "  }\n"
               "  chain mesh_snat {\n"
               "    type nat hook postrouting priority srcnat; policy "
               "accept;\n"
               "    ct mark & 0x00100000 == 0x00100000 fib saddr type local "
               "masquerade\n"
               "  }\n"
               "  chain mesh_mark {\n"
               "    type filter hook forward priority mangle; policy accept;\n"
               "    ct mark & 0x00100000 == 0x00100000 meta mark set meta "
               "mark | 0x00100000\n"
               "  }\n"
               "  chain mesh_guard {\n"
               "    type filter hook prerouting priority raw; policy accept;\n"
               "    iifname \"as_ingress0\" ip daddr 127.0.0.0/8 drop\n"
               "  }\n"
               "}\n");
  require_parses(text);
}

TEST_CASE("nft rules: without localhost, local clients reach published "
          "ports on non-loopback addresses only",
          "[unit][nft]") {
  auto x = sample_mesh();
  x.localhost = false;
  x.host_ports.clear();
  x.ingress_ports.resize(1);
  auto text = render_ok(render_host(x));
  CHECK(text.find("  chain mesh_local {\n"
                  "    type nat hook output priority -100; policy accept;\n"
                  "    fib daddr type local ip daddr != 127.0.0.0/8 tcp dport "
                  "8000 ct mark set ct mark | 0x00100000 dnat to "
                  "172.31.255.2\n  }\n")
        != text.npos);
  CHECK(text.find("127.0.0.0/8 drop") == text.npos);
  require_parses(text);
}

TEST_CASE("nft rules: a host-mode port of a task in the host namespace is "
          "redirected to its target port, or left to the task",
          "[unit][nft]") {
  mesh_state x;
  x.host_ports.push_back({protocol::tcp, 8080, 80, ""});
  x.host_ports.push_back({protocol::tcp, 9090, 9090, ""}); // binds it itself
  auto text = render_ok(render_host(x));
  CHECK(text.find("fib daddr type local tcp dport 8080 redirect to :80\n")
        != text.npos);
  CHECK(text.find("9090") == text.npos);
  require_parses(text);
}

TEST_CASE("nft rules: a node with host-mode ports only needs no sandbox",
          "[unit][nft]") {
  mesh_state x;
  x.host_ports.push_back({protocol::udp, 7000, 70, "10.99.0.4"});
  auto text = render_ok(render_host(x));
  CHECK(text.find("fib daddr type local udp dport 7000 ct mark set ct mark | "
                  "0x00100000 dnat to 10.99.0.4:70\n")
        != text.npos);
  require_parses(text);
  // Another table name and mark: several daemons (or a custom mark) per host.
  x.table = "actorswarm_n1";
  x.mark = 0x40;
  text = render_ok(render_host(x));
  CHECK(text.rfind("table ip actorswarm_n1\ndelete table ip actorswarm_n1\n", 0)
        == 0);
  CHECK(text.find("ct mark & 0x00000040 == 0x00000040") != text.npos);
  require_parses(text);
}

TEST_CASE("nft rules: the gateway masquerades its subnet leaving through any "
          "other device and marks its connections",
          "[unit][nft]") {
  gateway_state x;
  x.subnet = "172.18.0.0/16";
  x.bridge = "as3f9kg0";
  auto text = render_ok(render_gateway(x));
  CHECK(text
        == "table ip actorswarm_gw\n"
           "delete table ip actorswarm_gw\n"
           "table ip actorswarm_gw {\n"
           "  chain gw_snat {\n"
           "    type nat hook postrouting priority srcnat; policy accept;\n"
           "    ip saddr 172.18.0.0/16 oifname != \"as3f9kg0\" masquerade\n"
           "  }\n"
           "  chain gw_mark {\n"
           "    type filter hook forward priority mangle; policy accept;\n"
           "    iifname \"as3f9kg0\" oifname \"as3f9kg0\" drop\n"
           "    iifname \"as3f9kg0\" ip saddr 172.18.0.0/16 oifname != "
           "\"as3f9kg0\" ct mark set ct mark | 0x00100000\n"
           "    ct mark & 0x00100000 == 0x00100000 meta mark set meta mark | "
           "0x00100000\n"
           "  }\n"
           "}\n");
  require_parses(text);
  x.table = "gw_n1";
  x.mark = 0x40;
  x.subnet = "10.250.0.0/24";
  text = render_ok(render_gateway(x));
  CHECK(text.rfind("table ip gw_n1\ndelete table ip gw_n1\n", 0) == 0);
  CHECK(text.find("ip saddr 10.250.0.0/24 oifname") != text.npos);
  CHECK(text.find("ct mark set ct mark | 0x00000040") != text.npos);
  require_parses(text);
}

TEST_CASE("nft rules: a bad gateway state gets one clear error",
          "[unit][nft]") {
  auto refused = [](gateway_state x, const std::string& msg) {
    auto r = render_gateway(x);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::invalid_spec);
    CHECK(r.error().message == msg);
  };
  gateway_state ok;
  ok.subnet = "172.18.0.0/16";
  ok.bridge = "as3f9kg0";
  auto x = ok;
  x.subnet = "172.18.0.0";
  refused(x, "invalid gateway subnet \"172.18.0.0\"");
  x.subnet = "172.18.0.0/33";
  refused(x, "invalid gateway subnet \"172.18.0.0/33\"");
  x.subnet = "172.18.0/16";
  refused(x, "invalid gateway subnet \"172.18.0/16\"");
  x = ok;
  x.bridge = "br\" accept";
  refused(x, "invalid device name \"br\" accept\"");
  x.bridge = "";
  refused(x, "invalid device name \"\"");
  x = ok;
  x.mark = 0;
  refused(x, "the mark must not be 0");
  x = ok;
  x.table = "gw;flush";
  refused(x, "invalid table name \"gw;flush\"");
  CHECK(is_ipv4_cidr("0.0.0.0/0"));
  CHECK_FALSE(is_ipv4_cidr("1.2.3.4/"));
  CHECK_FALSE(is_ipv4_cidr("1.2.3.4/-1"));
}

TEST_CASE("nft rules: bad input gets one clear error", "[unit][nft]") {
  auto refused = [](const result<std::string>& x, const std::string& msg) {
    REQUIRE_FALSE(x.ok());
    CHECK(x.error().code == errc::invalid_spec);
    CHECK(x.error().message == msg);
  };
  refused(render_vip({default_table, {{"10.0.1", {}}}}),
          "invalid virtual IP \"10.0.1\"");
  refused(render_vip({default_table, {{"10.0.1.2", {}}, {"10.0.1.2", {}}}}),
          "duplicate virtual IP 10.0.1.2");
  refused(render_vip({default_table, {{"10.0.1.2", {"10.0.1.5", "10.0.1.5"}}}}),
          "duplicate backend 10.0.1.5 of virtual IP 10.0.1.2");
  refused(render_vip({default_table, {{"10.0.1.2", {"10.0.1.5/24"}}}}),
          "invalid backend address \"10.0.1.5/24\" of virtual IP 10.0.1.2");
  refused(render_vip({"bad name", {}}), "invalid table name \"bad name\"");
  refused(render_delete("x;flush ruleset"),
          "invalid table name \"x;flush ruleset\"");
  auto x = sample_mesh();
  x.sandbox_address = "";
  refused(render_sandbox(x), "invalid sandbox address \"\"");
  x = sample_mesh();
  x.host_ports.push_back({protocol::tcp, 8000, 81, "10.99.0.5"});
  refused(render_host(x), "port 8000/tcp is published twice");
  x = sample_mesh();
  x.ingress_ports[0].published = 0;
  refused(render_host(x), "invalid port 0:80/tcp");
  x = sample_mesh();
  x.host_device = "a\" accept";
  refused(render_host(x), "invalid device name \"a\" accept\"");
  x = sample_mesh();
  x.mark = 0;
  refused(render_host(x), "the mark must not be 0");
  // The same port number with another protocol is another port.
  x = sample_mesh();
  x.host_ports.push_back({protocol::udp, 8000, 81, "10.99.0.5"});
  CHECK(render_host(x).ok());
}

TEST_CASE("nft rules: the FORWARD accept rule uses iptables-nft's "
          "vocabulary only",
          "[unit][nft]") {
  CHECK(forward_accept_rule(default_mark, "actorswarm")
        == "meta mark & 0x00100000 == 0x00100000 accept comment "
           "\"actorswarm\"");
}
