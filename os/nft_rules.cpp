#include "os/nft_rules.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <set>
#include <utility>

namespace actorswarm::nft {

namespace {

std::string hex(uint32_t x) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", x);
  return buf;
}

failure bad(std::string msg) {
  return fail(errc::invalid_spec, std::move(msg));
}

// An error message, or "" if every backend is an address and none repeats.
std::string check_backends(const std::vector<std::string>& xs,
                           const std::string& what) {
  std::set<std::string> seen;
  for (const auto& x : xs) {
    if (!is_ipv4(x))
      return "invalid backend address \"" + x + "\" of " + what;
    if (!seen.insert(x).second)
      return "duplicate backend " + x + " of " + what;
  }
  return {};
}

// "a" or "numgen inc mod N map { 0 : a, 1 : b, ... }": round-robin per
// connection, as IPVS's default scheduler; the nat chain sees only a
// connection's first packet, so the choice holds for the whole connection.
std::string pick(const std::vector<std::string>& xs) {
  if (xs.size() == 1)
    return xs.front();
  std::string out = "numgen inc mod " + std::to_string(xs.size()) + " map { ";
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += std::to_string(i) + " : " + xs[i];
  }
  return out + " }";
}

std::string head(const std::string& table) {
  // Adding a table that exists is a no-op, so the delete always finds one:
  // the three commands replace the table in one transaction.
  return "table ip " + table + "\ndelete table ip " + table + "\ntable ip "
         + table + " {\n";
}

std::string chain(const char* name, const char* hook_and_priority,
                  const std::string& rules) {
  return std::string{"  chain "} + name + " {\n    type " + hook_and_priority
         + "; policy accept;\n" + rules + "  }\n";
}

std::string port_match(protocol proto, uint16_t port) {
  return std::string{to_string(proto)} + " dport " + std::to_string(port);
}

// The refusal of a connection nobody can take: a TCP reset, else ICMP port
// unreachable (the kernel's answer to a closed port).
std::string refuse(const std::string& match, protocol proto) {
  if (proto == protocol::tcp)
    return "    " + match + " reject with tcp reset\n";
  return "    " + match + " reject\n";
}

std::string set_mark(uint32_t mark) {
  return "ct mark set ct mark | " + hex(mark);
}

std::string check_mesh(const mesh_state& x) {
  if (!is_table_name(x.table))
    return "invalid table name \"" + x.table + "\"";
  if (x.mark == 0)
    return "the mark must not be 0";
  if (x.host_device.size() > 15
      || x.host_device.find_first_of("\"/ \t\n") != std::string::npos)
    return "invalid device name \"" + x.host_device + "\"";
  if (!x.ingress_ports.empty() && !is_ipv4(x.sandbox_address))
    return "invalid sandbox address \"" + x.sandbox_address + "\"";
  std::set<std::pair<protocol, uint16_t>> seen;
  auto check_port = [&](protocol proto, uint16_t published,
                        uint16_t target) -> std::string {
    auto name = std::to_string(published) + "/" + to_string(proto);
    if (published == 0 || target == 0)
      return "invalid port " + std::to_string(published) + ":"
             + std::to_string(target) + "/" + to_string(proto);
    if (!seen.emplace(proto, published).second)
      return "port " + name + " is published twice";
    return {};
  };
  for (const auto& p : x.ingress_ports) {
    if (auto err = check_port(p.proto, p.published, p.target); !err.empty())
      return err;
    auto what = "port " + std::to_string(p.published);
    if (auto err = check_backends(p.backends, what); !err.empty())
      return err;
  }
  for (const auto& p : x.host_ports) {
    if (auto err = check_port(p.proto, p.published, p.target); !err.empty())
      return err;
    if (!p.backend.empty() && !is_ipv4(p.backend))
      return "invalid backend address \"" + p.backend + "\" of port "
             + std::to_string(p.published);
  }
  return {};
}

} // namespace

const char* to_string(protocol x) {
  return x == protocol::udp ? "udp" : "tcp";
}

bool is_ipv4(const std::string& x) {
  in_addr addr;
  return x.size() <= 15 && ::inet_pton(AF_INET, x.c_str(), &addr) == 1;
}

bool is_ipv4_cidr(const std::string& x) {
  auto slash = x.find('/');
  if (slash == std::string::npos || !is_ipv4(x.substr(0, slash)))
    return false;
  auto len = x.substr(slash + 1);
  if (len.empty() || len.size() > 2
      || len.find_first_not_of("0123456789") != std::string::npos)
    return false;
  return std::stoi(len) <= 32;
}

bool is_table_name(const std::string& x) {
  if (x.empty() || x.size() > 32 || (x[0] >= '0' && x[0] <= '9'))
    return false;
  for (char c : x) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_';
    if (!ok)
      return false;
  }
  return true;
}

result<std::string> render_vip(const vip_state& x) {
  if (!is_table_name(x.table))
    return bad("invalid table name \"" + x.table + "\"");
  std::set<std::string> vips;
  std::string dnat;
  std::string refused;
  for (const auto& s : x.services) {
    if (!is_ipv4(s.vip))
      return bad("invalid virtual IP \"" + s.vip + "\"");
    if (!vips.insert(s.vip).second)
      return bad("duplicate virtual IP " + s.vip);
    if (auto err = check_backends(s.backends, "virtual IP " + s.vip);
        !err.empty())
      return bad(err);
    auto match = "ip daddr " + s.vip;
    if (s.backends.empty()) {
      refused += refuse(match + " meta l4proto tcp", protocol::tcp);
      refused += refuse(match, protocol::udp);
    } else {
      dnat += "    " + match + " meta l4proto { tcp, udp } dnat to "
              + pick(s.backends) + "\n";
    }
  }
  // Connections the task opens pass the output hook; NAT (priority -100)
  // comes before filter (0), so the refusals see only VIPs left untouched.
  return head(x.table) + chain("vip_nat", "nat hook output priority -100", dnat)
         + chain("vip_refuse", "filter hook output priority filter", refused)
         + "}\n";
}

result<std::string> render_sandbox(const mesh_state& x) {
  if (auto err = check_mesh(x); !err.empty())
    return bad(err);
  std::string dnat;
  std::string refused;
  for (const auto& p : x.ingress_ports) {
    auto match = "ip daddr " + x.sandbox_address + " "
                 + port_match(p.proto, p.published);
    if (p.backends.empty()) {
      refused += refuse(match, p.proto);
      continue;
    }
    dnat += "    " + match + " " + set_mark(x.mark) + " dnat to "
            + pick(p.backends) + ":" + std::to_string(p.target) + "\n";
  }
  // Masquerade: the task answers the sandbox, whose conntrack undoes both
  // translations and routes the reply back over the link to the host.
  auto snat = "    ct mark & " + hex(x.mark) + " == " + hex(x.mark)
              + " masquerade\n";
  return head(x.table)
         + chain("mesh_dnat", "nat hook prerouting priority dstnat", dnat)
         + chain("mesh_snat", "nat hook postrouting priority srcnat", snat)
         + chain("mesh_refuse", "filter hook input priority filter", refused)
         + "}\n";
}

result<std::string> render_host(const mesh_state& x) {
  if (auto err = check_mesh(x); !err.empty())
    return bad(err);
  // "fib daddr type local": any address of this node, as Docker's
  // "-m addrtype --dst-type LOCAL". In the output hook that includes
  // 127.0.0.0/8, served only with localhost (see mesh_state::localhost).
  auto dnat_rules = [&x](const std::string& match) {
    std::string out;
    for (const auto& p : x.ingress_ports)
      out += "    " + match + port_match(p.proto, p.published) + " "
             + set_mark(x.mark) + " dnat to " + x.sandbox_address + "\n";
    for (const auto& p : x.host_ports) {
      if (!p.backend.empty())
        out += "    " + match + port_match(p.proto, p.published) + " "
               + set_mark(x.mark) + " dnat to " + p.backend + ":"
               + std::to_string(p.target) + "\n";
      else if (p.published != p.target) // a task in this namespace
        out += "    " + match + port_match(p.proto, p.published)
               + " redirect to :" + std::to_string(p.target) + "\n";
    }
    return out;
  };
  auto dnat = dnat_rules("fib daddr type local ");
  auto local_dnat = x.localhost ? dnat
                                : dnat_rules("fib daddr type local ip daddr != "
                                             "127.0.0.0/8 ");
  auto ours = "ct mark & " + hex(x.mark) + " == " + hex(x.mark);
  // A local client's source (127.0.0.1 or a node address) is replaced by the
  // outgoing link's address, so the answer comes back over that link.
  auto snat = "    " + ours + " fib saddr type local masquerade\n";
  // Forwarded packets of our connections (both directions) carry the mark
  // bit, which the accept rule in a host firewall's FORWARD chain matches.
  auto mark = "    " + ours + " meta mark set meta mark | " + hex(x.mark)
              + "\n";
  // route_localnet on the link lets 127.0.0.1 out; never let it in.
  std::string guard;
  if (x.localhost && !x.host_device.empty())
    guard = "    iifname \"" + x.host_device + "\" ip daddr 127.0.0.0/8 drop\n";
  return head(x.table)
         + chain("mesh_dnat", "nat hook prerouting priority dstnat", dnat)
         + chain("mesh_local", "nat hook output priority -100", local_dnat)
         + chain("mesh_snat", "nat hook postrouting priority srcnat", snat)
         + chain("mesh_mark", "filter hook forward priority mangle", mark)
         + chain("mesh_guard", "filter hook prerouting priority raw", guard)
         + "}\n";
}

result<std::string> render_gateway(const gateway_state& x) {
  if (!is_table_name(x.table))
    return bad("invalid table name \"" + x.table + "\"");
  if (x.mark == 0)
    return bad("the mark must not be 0");
  if (!is_ipv4_cidr(x.subnet))
    return bad("invalid gateway subnet \"" + x.subnet + "\"");
  if (x.bridge.empty() || x.bridge.size() > 15
      || x.bridge.find_first_of("\"/ \t\n\\") != std::string::npos)
    return bad("invalid device name \"" + x.bridge + "\"");
  auto br = "\"" + x.bridge + "\"";
  auto from_tasks = "iifname " + br + " ip saddr " + x.subnet;
  // Leaving through any other device, the task's address becomes that
  // device's (the reply is un-NATed by conntrack and routed back to the
  // bridge).
  auto snat = "    ip saddr " + x.subnet + " oifname != " + br
              + " masquerade\n";
  // Priority mangle: before a host firewall's filter FORWARD chain (0),
  // which then accepts the packet mark (forward_accept_rule). The copy from
  // the conntrack mark covers the replies; the mesh table has its own copy,
  // but may not exist.
  auto ours = "ct mark & " + hex(x.mark) + " == " + hex(x.mark);
  auto mark = "    iifname " + br + " oifname " + br + " drop\n" + "    "
              + from_tasks + " oifname != " + br + " " + set_mark(x.mark) + "\n"
              + "    " + ours + " meta mark set meta mark | " + hex(x.mark)
              + "\n";
  return head(x.table)
         + chain("gw_snat", "nat hook postrouting priority srcnat", snat)
         + chain("gw_mark", "filter hook forward priority mangle", mark)
         + "}\n";
}

result<std::string> render_delete(const std::string& table) {
  if (!is_table_name(table))
    return bad("invalid table name \"" + table + "\"");
  return "table ip " + table + "\ndelete table ip " + table + "\n";
}

std::string forward_accept_rule(uint32_t mark, const std::string& tag) {
  return "meta mark & " + hex(mark) + " == " + hex(mark) + " accept comment \""
         + tag + "\"";
}

} // namespace actorswarm::nft
