// `actorswarm daemon [--data-dir DIR] [--listen-addr IP:PORT]
// [--control-addr unix://PATH] [--group NAME] [--log-level L] [--tick-ms N]
// [--snapshot-interval N] [--handshake-timeout D] [--max-unauthenticated N]
// [--gateway-subnet CIDR] [--dns-upstream IP[:PORT]]...`:
// validates the flags into cli::daemon_options and hands over to
// context.run_daemon.

#include <algorithm>
#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/units.hpp"

namespace actorswarm::cli {

namespace {

struct daemon_flags {
  daemon_options opts;
  std::string control_addr = std::string{"unix://"}
                             + daemon_options{}.control_path;
  std::string tick_ms;
  std::string snapshot_interval;
  std::string handshake_timeout;
  std::string max_unauthenticated;
};

// IP:PORT (IPv4 dotted quad, or [v6]) with a port in 1..65535.
bool valid_listen_addr(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  auto port = parse_uint(addr.substr(colon + 1));
  if (!port || *port == 0 || *port > 65535)
    return false;
  auto host = addr.substr(0, colon);
  if (host.front() == '[')
    return host.back() == ']';
  int parts = 0;
  size_t start = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i < host.size() && host[i] != '.')
      continue;
    auto part = parse_uint(host.substr(start, i - start));
    if (!part || *part > 255 || i - start > 3)
      return false;
    ++parts;
    start = i + 1;
  }
  return parts == 4;
}

// "a.b.c.d/n", n in 8..30, no host bits: the gateway bridge's subnet.
bool valid_gateway_subnet(const std::string& x) {
  auto slash = x.find('/');
  if (slash == std::string::npos)
    return false;
  auto len = parse_uint(x.substr(slash + 1));
  if (!len || *len < 8 || *len > 30)
    return false;
  uint64_t value = 0;
  int parts = 0;
  size_t start = 0;
  auto host = x.substr(0, slash);
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i < host.size() && host[i] != '.')
      continue;
    auto part = parse_uint(host.substr(start, i - start));
    if (!part || *part > 255 || i - start > 3 || i == start)
      return false;
    value = (value << 8) | *part;
    ++parts;
    start = i + 1;
  }
  auto host_bits = (uint64_t{1} << (32 - *len)) - 1;
  return parts == 4 && (value & host_bits) == 0;
}

int run_daemon_cmd(invocation& inv, const CLI::App* app, daemon_flags& f) {
  static const char* levels[] = {"trace", "debug",    "info", "warn",
                                 "error", "critical", "off"};
  if (!valid_listen_addr(f.opts.listen_addr))
    return usage_error(inv, app,
                       flag_error("--listen-addr", f.opts.listen_addr,
                                  "expected IP:PORT"));
  if (f.control_addr.rfind("tcp://", 0) == 0)
    // dockerd serves tcp:// only with --tlsverify; without TLS and client
    // certificates a remote listener would give root to its network.
    return usage_error(inv, app,
                       flag_error("--control-addr", f.control_addr,
                                  "a TCP control listener needs TLS with a "
                                  "client certificate (like dockerd "
                                  "--tlsverify --tlscacert --tlscert "
                                  "--tlskey), which actorswarm does not "
                                  "support; use unix://PATH"));
  if (!net::parse_unix_addr(f.control_addr, f.opts.control_path))
    return usage_error(inv, app,
                       flag_error("--control-addr", f.control_addr,
                                  "must start with unix://"));
  if (std::find(std::begin(levels), std::end(levels), f.opts.log_level)
      == std::end(levels))
    return usage_error(inv, app,
                       flag_error("--log-level", f.opts.log_level,
                                  "must be one of trace, debug, info, "
                                  "warn, error, critical, off"));
  if (!f.tick_ms.empty()) {
    auto v = parse_uint(f.tick_ms);
    if (!v || *v == 0 || *v > 60'000)
      return usage_error(inv, app,
                         flag_error("--tick-ms", f.tick_ms,
                                    "must be an integer in 1..60000"));
    f.opts.tick_ms = static_cast<int>(*v);
  }
  if (!f.snapshot_interval.empty()) {
    auto v = parse_uint(f.snapshot_interval);
    if (!v || *v == 0 || *v > 1'000'000'000)
      return usage_error(inv, app,
                         flag_error("--snapshot-interval", f.snapshot_interval,
                                    "must be an integer in 1..1000000000"));
    f.opts.snapshot_interval = *v;
  }
  if (!f.handshake_timeout.empty()) {
    // A Go duration of 1ms..1h: shorter never lets a real handshake finish,
    // longer lets half-open connections pile up.
    auto ns = parse_duration_ns(f.handshake_timeout);
    if (!ns || *ns < 1'000'000 || *ns > 3'600'000'000'000)
      return usage_error(inv, app,
                         flag_error("--handshake-timeout", f.handshake_timeout,
                                    "must be a duration between 1ms and 1h "
                                    "(e.g. 10s)"));
    f.opts.handshake_timeout_ms = static_cast<uint64_t>(*ns / 1'000'000);
  }
  if (!f.max_unauthenticated.empty()) {
    auto v = parse_uint(f.max_unauthenticated);
    if (!v || *v == 0 || *v > 1'000'000)
      return usage_error(inv, app,
                         flag_error("--max-unauthenticated",
                                    f.max_unauthenticated,
                                    "must be an integer in 1..1000000"));
    f.opts.max_unauthenticated = *v;
  }
  if (!f.opts.gateway_subnet.empty() && f.opts.gateway_subnet != "none"
      && !valid_gateway_subnet(f.opts.gateway_subnet))
    return usage_error(inv, app,
                       flag_error("--gateway-subnet", f.opts.gateway_subnet,
                                  "must be an IPv4 subnet with a prefix "
                                  "length of 8 to 30 (e.g. 172.18.0.0/16), "
                                  "or none"));
  for (auto& x : f.opts.dns_upstreams)
    if (!valid_listen_addr(x.find(':') == std::string::npos ? x + ":53" : x))
      return usage_error(inv, app,
                         flag_error("--dns-upstream", x,
                                    "must be IP or IP:PORT (e.g. 10.0.0.2 or "
                                    "127.0.0.1:5353)"));
  if (f.opts.data_dir.empty())
    return usage_error(inv, app,
                       flag_error("--data-dir", "", "must not be empty"));
  if (!inv.ctx().run_daemon)
    return inv.fail("this build has no daemon");
  return inv.ctx().run_daemon(f.opts);
}

} // namespace

void add_daemon_command(CLI::App& root, invocation& inv) {
  auto f = std::make_shared<daemon_flags>();
  add_leaf(
    root, "daemon", "Run the actorswarm daemon", inv,
    [&inv, f](const CLI::App* a) { return run_daemon_cmd(inv, a, *f); },
    [f](CLI::App* d) {
      d->add_option("--data-dir", f->opts.data_dir,
                    "Root directory of persistent state");
      d->add_option("--listen-addr", f->opts.listen_addr,
                    "Cluster listen address (IP:PORT)");
      d->add_option("--control-addr", f->control_addr,
                    "Control socket (unix://PATH)");
      d->add_option("--group", f->opts.group,
                    "Group for the control socket (default: actorswarm if "
                    "it exists, else the daemon's group)");
      d->add_option("--log-level", f->opts.log_level, "Log level");
      refuse_empty(d->add_option("--tick-ms", f->tick_ms,
                                 "Raft tick length in ms"),
                   parse_uint);
      refuse_empty(d->add_option("--snapshot-interval", f->snapshot_interval,
                                 "Applied Raft entries between two snapshots"),
                   parse_uint);
      refuse_empty(
        d->add_option("--handshake-timeout", f->handshake_timeout,
                      "Close cluster-port connections that have not finished "
                      "their TLS handshake by then (default 10s)"),
        parse_duration_ns);
      refuse_empty(
        d->add_option("--max-unauthenticated", f->max_unauthenticated,
                      "Cluster-port connections not yet authenticated at "
                      "once; more are closed (default 256)"),
        parse_uint);
      d->add_option("--dns-upstream", f->opts.dns_upstreams,
                    "Resolver the embedded DNS forwards other names to, "
                    "IP or IP:PORT (repeatable; default: the nameservers of "
                    "/etc/resolv.conf)");
      d->add_option("--gateway-subnet", f->opts.gateway_subnet,
                    "Node-local subnet of the bridge that gives tasks on "
                    "overlay networks their way out (default "
                    "172.18.0.0/16, as Docker's docker_gwbridge; none: "
                    "tasks have no way out)");
    });
}

} // namespace actorswarm::cli
