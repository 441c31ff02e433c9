// Cluster: hosts as network namespaces (tests/support/netns_hosts.hpp). The
// harness itself (addresses, the bridge, processes started inside a host,
// a FORWARD drop firewall, nothing left behind), then real daemons, one per
// host namespace, forming a swarm over the test's bridge, and the issue's
// acceptance scenario for the data plane (overlay, routing mesh, DNS, VIPs,
// behind a host firewall, nothing left behind).
//
// Every test needs root (namespaces, mounts): it skips (WARN) otherwise.

#include "cluster/netns_cluster.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include <catch2/catch.hpp>

#include "os/netlink.hpp"
#include "os/netns.hpp"
#include "unit/dns/dns_test_util.hpp"

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// True (after a WARN) when this environment cannot run these tests.
bool skip_netns() {
  auto why = netns_unsupported();
  if (why.empty())
    return false;
  WARN("skipped: network namespace tests need root (" << why << ")");
  return true;
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += x + "\n";
  return out;
}

// REQUIRE / CHECK `ok`, with the CLI's output when it fails.
void require_ok(bool ok, const cmd_result& r) {
  INFO("exit " << r.exit_code << "\nstdout: " << r.out
               << "\nstderr: " << r.err);
  REQUIRE(ok);
}

void check_ok(bool ok, const cmd_result& r) {
  INFO("exit " << r.exit_code << "\nstdout: " << r.out
               << "\nstderr: " << r.err);
  CHECK(ok);
}

ino_t netns_inode(pid_t pid) {
  struct stat st {};
  if (::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &st) != 0)
    return 0;
  return st.st_ino;
}

// Pins left in a daemon's own namespace dir (the data plane's).
std::vector<std::string> pins_of(const netns_daemon& d) {
  std::vector<std::string> names;
  actorswarm::os::netns_dir dir{d.data_dir() + "/netns"};
  if (auto xs = dir.list())
    for (const auto& p : *xs)
      names.push_back(p.name);
  return names;
}

} // namespace

TEST_CASE("cluster: netns hosts reach each other over the test's bridge, "
          "take a FORWARD drop firewall and leave nothing behind",
          "[cluster][netns]") {
  if (skip_netns())
    return;
  netns_hosts h{3};
  // setup: three hosts, each with lo and eth0 only, on one subnet
  for (size_t i = 0; i < h.size(); ++i)
    CHECK(h.devices(i) == std::vector<std::string>{"eth0", "lo"});
  CHECK(h.addr(0) == "192.168." + std::to_string(h.subnet()) + ".1");
  // start: an HTTP server inside host 2, bound to host 2's address
  auto server = h.spawn(2,
                        {"/usr/bin/python3", "-m", "http.server", "--bind",
                         h.addr(2), "8080"},
                        h.dir() + "/server.log");
  REQUIRE(server > 0);
  http_reply reply;
  auto answers = [&](const actorswarm::os::netns& from) {
    return eventually(
      [&] {
        reply = http_get(from, h.addr(2), 8080, "/", 1s);
        return reply.status == 200;
      },
      10s, 20ms);
  };
  // check: it answers from another host and from the switch, and runs in
  // host 2's namespace (not the test's)
  auto from_host = answers(h.host(0));
  auto from_switch = answers(h.switch_ns());
  INFO(reply.error);
  CHECK(from_host);
  CHECK(from_switch);
  CHECK(netns_inode(server) == h.host(2).inode());
  auto procs = h.processes();
  CHECK(std::find(procs.begin(), procs.end(), server) != procs.end());
  // check: nothing listens on host 1's address
  CHECK(http_get(h.switch_ns(), h.addr(1), 8080, "/", 1s).status == 0);
  // start: host 1 gets a distribution firewall's FORWARD drop policy
  h.set_forward_drop(1);
  CHECK(h.ruleset(1).find("policy drop") != std::string::npos);
  CHECK(h.ruleset(0).find("filter") == std::string::npos);
  // stop: everything goes, the server (still running) included
  auto dir = h.dir();
  h.close();
  ::waitpid(server, nullptr, 0);
  CHECK(!std::filesystem::exists(dir));
  INFO(joined(h.leftovers()));
  CHECK(h.leftovers().empty());
}

TEST_CASE("cluster: three daemons in three host namespaces form a swarm over "
          "the bridge, spread a service over the hosts, see a manager killed "
          "and leave nothing behind",
          "[cluster][netns]") {
  if (skip_netns())
    return;
  netns_hosts h{3};
  {
    netns_swarm s{h};
    // setup: init on host 0 advertising its address, two managers join
    auto why = s.form(3);
    INFO(why);
    REQUIRE(why.empty());
    // check: every daemon runs inside its host's namespace
    for (size_t i = 0; i < s.size(); ++i)
      CHECK(netns_inode(s[i].pid()) == h.host(i).inode());
    // check: node ls shows three Ready nodes, one leader, two reachable
    auto rows = node_ls(s[0]);
    REQUIRE(rows.size() == 3);
    std::multiset<std::string> status;
    for (const auto& r : rows) {
      CHECK(r.status == "Ready");
      status.insert(r.manager_status);
    }
    CHECK(status
          == std::multiset<std::string>{"Leader", "Reachable", "Reachable"});
    // start: a 3-replica service
    auto r = s[0].cli({"service", "create", "-d", "--name", "web", "--replicas",
                       "3", "--restart-delay", "0s", "host", "sleep", "3600"});
    require_ok(r.exit_code == 0, r);
    // check: one task on every host, running inside that host's namespace
    auto spread = [&] {
      for (size_t i = 0; i < s.size(); ++i)
        if (s[i].task_pids().size() != 1)
          return false;
      return true;
    };
    CHECK(eventually(spread, 15s, 20ms));
    for (size_t i = 0; i < s.size(); ++i)
      for (auto pid : s[i].task_pids())
        CHECK(netns_inode(pid) == h.host(i).inode());
    // start: the manager on host 2 is killed
    auto victim = s[2].node_id();
    REQUIRE(!victim.empty());
    REQUIRE(s[2].stop(SIGKILL));
    // check: the others see it
    auto seen = [&] {
      for (const auto& row : node_ls(s[0]))
        if (row.id == victim
            && (row.manager_status == "Unreachable" || row.status == "Down"))
          return true;
      return false;
    };
    CHECK(eventually(seen, 15s, 50ms));
    // stop: the other daemons (their tasks live on until the harness goes)
    CHECK(s.stop_all());
  }
  // check: closing the harness leaves no namespace, device, mount, process
  // or file of ours
  auto dir = h.dir();
  h.close();
  CHECK(!std::filesystem::exists(dir));
  INFO(joined(h.leftovers()));
  CHECK(h.leftovers().empty());
}

namespace {

// A process the test started (netns_hosts::spawn): stopped and reaped when
// the test ends, however it ends.
struct child_process {
  pid_t pid = -1;
  ~child_process() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// One node: a swarm, an overlay network "appnet" and a service "app" on it
// publishing 7080 -> 80 (python's http.server), answering on host 0.
void start_published_app(const netns_hosts& h, netns_swarm& s) {
  auto why = s.form(1);
  INFO(why);
  REQUIRE(why.empty());
  auto r = s[0].cli({"network", "create", "-d", "overlay", "appnet"});
  require_ok(r.exit_code == 0, r);
  r = s[0].cli({"service", "create", "-d", "--name", "app", "--network",
                "appnet", "--publish", "7080:80", "host", "python3", "-m",
                "http.server", "80"});
  require_ok(r.exit_code == 0, r);
  auto answers = [&] {
    return http_get(h.switch_ns(), h.addr(0), 7080, "/", 1s).status == 200;
  };
  REQUIRE(eventually(answers, 30s, 50ms));
}

// What a task of host `d` sees: its namespace, from the daemon's pins.
std::string task_netns_path(const netns_daemon& d) {
  for (const auto& p : pins_of(d))
    if (p.rfind("t-", 0) == 0)
      return d.data_dir() + "/netns/" + p;
  return {};
}

// The A records the embedded DNS answers for `name`, asked from inside the
// namespace at `netns_path` (at 127.0.0.11:53, as the task's resolver does).
std::vector<std::string> resolve_in(const std::string& netns_path,
                                    const std::string& name) {
  auto ns = actorswarm::os::netns::open(netns_path);
  if (!ns)
    return {};
  dns_test::bytes reply;
  auto q = dns_test::make_query(0x4242, name);
  actorswarm::os::run_in_netns(*ns, [&] {
    reply = dns_test::udp_exchange("127.0.0.11", 53, q, 1000);
  });
  auto a = dns_test::read_answer(reply).a;
  std::sort(a.begin(), a.end());
  return a;
}

// The IPv4 address of eth0 in the namespace of process `pid` (a task's).
std::string task_address(pid_t pid) {
  auto ns = actorswarm::os::netns::open("/proc/" + std::to_string(pid)
                                        + "/ns/net");
  if (!ns)
    return {};
  auto conn = actorswarm::os::netlink_conn::open(*ns);
  if (!conn)
    return {};
  auto eth = conn->link("eth0");
  if (!eth)
    return {};
  auto addrs = conn->addresses(eth->index);
  if (!addrs || addrs->empty())
    return {};
  return actorswarm::os::to_string((*addrs)[0].addr);
}

} // namespace

// The acceptance scenario for the data plane, on three hosts whose
// firewall drops forwarded packets (Docker's and Debian's FORWARD policy).
TEST_CASE("cluster: on three hosts behind a FORWARD drop firewall a published "
          "port answers on every host (one without a task too), names "
          "resolve, the VIP balances, a killed task leaves DNS and "
          "balancing, and removal leaves nothing",
          "[cluster][netns]") {
  if (skip_netns())
    return;
  netns_hosts h{3};
  for (size_t i = 0; i < h.size(); ++i)
    h.set_forward_drop(i);
  std::vector<std::string> firewall;
  for (size_t i = 0; i < h.size(); ++i)
    firewall.push_back(h.ruleset(i));
  // The daemons' upstream resolver: dnsmasq on host 0, port 5353.
  auto upstream = h.addr(0) + ":5353";
  child_process dnsmasq;
  dnsmasq.pid = h.spawn(0,
                        {"/usr/sbin/dnsmasq", "--keep-in-foreground",
                         "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                         "--port=5353", "--listen-address=" + h.addr(0),
                         "--bind-interfaces", "--pid-file=", "--user=root",
                         "--address=/upstream.test/192.0.2.7"},
                        "");
  REQUIRE(dnsmasq.pid > 0);
  netns_swarm s{h, {"--dns-upstream", upstream}};
  auto why = s.form(3);
  INFO(why);
  REQUIRE(why.empty());
  auto idle = s[2].node_id();
  REQUIRE(!idle.empty());
  // start: an overlay network, a 3-replica HTTP service published on 7080
  // on hosts 0 and 1 only, a client on host 2
  auto r = s[0].cli({"network", "create", "-d", "overlay", "appnet"});
  require_ok(r.exit_code == 0, r);
  r = s[0].cli({"service",
                "create",
                "-d",
                "--name",
                "app",
                "--replicas",
                "3",
                "--network",
                "appnet",
                "--publish",
                "7080:80",
                "--restart-condition",
                "none",
                "--constraint",
                "node.id!=" + idle,
                "host",
                "python3",
                "-m",
                "http.server",
                "80"});
  require_ok(r.exit_code == 0, r);
  r = s[0].cli({"service", "create", "-d", "--name", "client", "--network",
                "appnet", "--constraint", "node.id==" + idle, "host", "sleep",
                "3600"});
  require_ok(r.exit_code == 0, r);
  auto placed = [&] {
    return s[0].task_pids().size() + s[1].task_pids().size() == 3
           && s[2].task_pids().size() == 1;
  };
  auto ok_placed = eventually(placed, 30s, 50ms);
  INFO("app: " << s[0].cli({"service", "ps", "--no-trunc", "app"}).out
               << "client: "
               << s[0].cli({"service", "ps", "--no-trunc", "client"}).out);
  REQUIRE(ok_placed);
  // check: 7080 answers on every host's address, from outside (the switch)
  // and from host 0
  for (size_t i = 0; i < h.size(); ++i) {
    http_reply reply;
    auto answers = [&] {
      reply = http_get(h.switch_ns(), h.addr(i), 7080, "/", 1s);
      return reply.status == 200;
    };
    auto ok = eventually(answers, 30s, 50ms);
    INFO("host " << i << " (" << h.addr(i) << "): " << reply.error);
    CHECK(ok);
  }
  // check: from the client's namespace, the service name is its VIP,
  // tasks.app its three tasks, and the VIP reaches them across hosts
  auto client = task_netns_path(s[2]);
  REQUIRE(!client.empty());
  std::vector<std::string> vip, tasks;
  auto resolved = [&] {
    vip = resolve_in(client, "app");
    tasks = resolve_in(client, "tasks.app");
    return vip.size() == 1 && tasks.size() == 3;
  };
  CHECK(eventually(resolved, 10s, 50ms));
  INFO("app: " << joined(vip) << "tasks.app: " << joined(tasks));
  REQUIRE(vip.size() == 1);
  auto client_ns = actorswarm::os::netns::open(client);
  REQUIRE(client_ns);
  // RUNNING means started, not listening yet (python takes a while on a
  // busy machine): every task answers straight first, so that each check
  // below that asks once sees the network, not a process still starting.
  auto listening = [&] {
    for (const auto& t : tasks)
      if (http_get(*client_ns, t, 80, "/", 1s).status != 200)
        return false;
    return true;
  };
  CHECK(eventually(listening, 20s, 50ms));
  for (int i = 0; i < 6; ++i)
    CHECK(http_get(*client_ns, vip[0], 80, "/", 2s).status == 200);
  for (size_t i = 1; i < h.size(); ++i) {
    auto reply = http_get(h.host(0), h.addr(i), 7080, "/", 2s);
    INFO("host 0 to host " << i << ": " << reply.error);
    CHECK(reply.status == 200);
  }
  // check: other names go to the daemons' upstream (--dns-upstream)
  auto forwarded = [&] {
    return resolve_in(client, "upstream.test")
           == std::vector<std::string>{"192.0.2.7"};
  };
  CHECK(eventually(forwarded, 10s, 50ms));
  // check: dnsrr names its tasks
  r = s[0].cli({"service", "create", "-d", "--name", "rr", "--replicas", "2",
                "--endpoint-mode", "dnsrr", "--network", "appnet", "host",
                "sleep", "3600"});
  require_ok(r.exit_code == 0, r);
  auto rr = [&] { return resolve_in(client, "rr").size() == 2; };
  CHECK(eventually(rr, 20s, 50ms));
  // check: a network in use is not removed
  r = s[0].cli({"network", "rm", "appnet"});
  CHECK(r.exit_code != 0);
  // start: one app task is killed (not replaced: restart condition none)
  auto pids = s[0].task_pids();
  for (auto pid : s[1].task_pids())
    pids.push_back(pid);
  pid_t victim = 0;
  std::string gone;
  for (auto pid : pids) {
    auto a = task_address(pid);
    if (std::find(tasks.begin(), tasks.end(), a) != tasks.end()) {
      victim = pid;
      gone = a;
      break;
    }
  }
  REQUIRE(victim != 0);
  REQUIRE(::kill(victim, SIGKILL) == 0);
  // check: its address leaves DNS, and the VIP and the mesh only use the
  // others
  auto left = [&] {
    auto xs = resolve_in(client, "tasks.app");
    return xs.size() == 2 && std::find(xs.begin(), xs.end(), gone) == xs.end();
  };
  CHECK(eventually(left, 10s, 20ms));
  for (int i = 0; i < 6; ++i) {
    CHECK(http_get(*client_ns, vip[0], 80, "/", 2s).status == 200);
    CHECK(http_get(h.switch_ns(), h.addr(2), 7080, "/", 2s).status == 200);
  }
  // stop: services, then the network
  client_ns = actorswarm::os::netns{};
  r = s[0].cli({"service", "rm", "app", "client", "rr"});
  check_ok(r.exit_code == 0, r);
  auto net_rm = [&] {
    r = s[0].cli({"network", "rm", "appnet"});
    return r.exit_code == 0;
  };
  auto removed = eventually(net_rm, 20s, 50ms);
  check_ok(removed, r);
  // check: no namespace, device or rule of the data plane is left on any
  // host, and the host's firewall is as it was
  auto clean = [&] {
    for (size_t i = 0; i < s.size(); ++i) {
      if (!pins_of(s[i]).empty() || !s[i].task_pids().empty())
        return false;
      if (h.devices(i) != std::vector<std::string>{"eth0", "lo"})
        return false;
      if (h.ruleset(i) != firewall[i])
        return false;
    }
    return true;
  };
  CHECK(eventually(clean, 20s, 50ms));
  for (size_t i = 0; i < s.size(); ++i) {
    INFO("host " << i << " pins: " << joined(pins_of(s[i])) << "devices: "
                 << joined(h.devices(i)) << "rules: " << h.ruleset(i));
    CHECK(pins_of(s[i]).empty());
    CHECK(h.ruleset(i) == firewall[i]);
  }
  // nothing here also means nothing in the port 7080 path any more
  CHECK(http_get(h.switch_ns(), h.addr(0), 7080, "/", 1s).status == 0);
}

TEST_CASE("cluster: a node that leaves the swarm takes its namespaces, "
          "devices and rules with it",
          "[cluster][netns]") {
  if (skip_netns())
    return;
  netns_hosts h{1};
  auto firewall = h.ruleset(0);
  netns_swarm s{h};
  start_published_app(h, s);
  CHECK(!pins_of(s[0]).empty());
  auto r = s[0].cli({"swarm", "leave", "--force"});
  require_ok(r.exit_code == 0, r);
  auto pin_dir = s[0].data_dir() + "/netns";
  auto clean = [&] {
    return pins_of(s[0]).empty() && s[0].task_pids().empty()
           && h.devices(0) == std::vector<std::string>{"eth0", "lo"}
           && h.ruleset(0) == firewall;
  };
  CHECK(eventually(clean, 20s, 50ms));
  // and the pin directory is no mount point any more
  auto mounts = read_file("/proc/self/mounts");
  CHECK(mounts.find(" " + pin_dir + " ") == std::string::npos);
  INFO("pins: " << joined(pins_of(s[0])) << "devices: " << joined(h.devices(0))
                << "rules: " << h.ruleset(0));
  CHECK(h.ruleset(0) == firewall);
}

TEST_CASE("cluster: a port published in host mode answers on the node that "
          "runs the task, from the host namespace or an overlay, and takes "
          "one task per node",
          "[cluster][netns]") {
  if (skip_netns())
    return;
  netns_hosts h{1};
  h.set_forward_drop(0);
  netns_swarm s{h};
  auto why = s.form(1);
  INFO(why);
  REQUIRE(why.empty());
  // start: a task in the host namespace (7081 -> its 8081) and one on an
  // overlay (7082 -> its 80); a second replica of the first has no node
  auto r = s[0].cli({"service", "create", "-d", "--name", "plain", "--replicas",
                     "2", "--publish", "mode=host,published=7081,target=8081",
                     "host", "python3", "-m", "http.server", "8081"});
  require_ok(r.exit_code == 0, r);
  r = s[0].cli({"network", "create", "-d", "overlay", "appnet"});
  require_ok(r.exit_code == 0, r);
  r = s[0].cli({"service", "create", "-d", "--name", "onnet", "--network",
                "appnet", "--publish", "mode=host,published=7082,target=80",
                "host", "python3", "-m", "http.server", "80"});
  require_ok(r.exit_code == 0, r);
  for (int port : {7081, 7082}) {
    http_reply reply;
    auto answers = [&] {
      reply = http_get(h.switch_ns(), h.addr(0), port, "/", 1s);
      return reply.status == 200;
    };
    auto ok = eventually(answers, 30s, 50ms);
    INFO("port " << port << ": " << reply.error);
    CHECK(ok);
  }
  auto pending = [&] {
    r = s[0].cli({"service", "ps", "--no-trunc", "plain"});
    return r.out.find("host-mode port already in use on 1 node")
           != std::string::npos;
  };
  auto one_pending = eventually(pending, 10s, 50ms);
  INFO(r.out);
  CHECK(one_pending);
  // stop: both services; the rules go with them
  auto firewall_only = [&] {
    return h.ruleset(0).find("actorswarm") == std::string::npos;
  };
  r = s[0].cli({"service", "rm", "plain", "onnet"});
  check_ok(r.exit_code == 0, r);
  CHECK(eventually(firewall_only, 20s, 50ms));
}

TEST_CASE("cluster: a daemon killed with -9 and started again adopts its "
          "namespaces, rebuilds its routing mesh and leaves no duplicate",
          "[cluster][netns]") {
  if (skip_netns())
    return;
  netns_hosts h{1};
  netns_swarm s{h};
  start_published_app(h, s);
  auto answers = [&] {
    return http_get(h.switch_ns(), h.addr(0), 7080, "/", 1s).status == 200;
  };
  auto pins = pins_of(s[0]);
  auto devices = h.devices(0);
  auto task = s[0].task_pids();
  REQUIRE(task.size() == 1);
  struct stat before {};
  REQUIRE(::stat((s[0].data_dir() + "/netns/s-ingress").c_str(), &before) == 0);
  // start: kill -9 the daemon (its task lives on), start it again
  REQUIRE(s[0].stop(SIGKILL));
  REQUIRE(s[0].start());
  // check: the same task answers through a mesh built again (the first
  // full assignments remove the sandbox and make it anew), with the same
  // namespaces and devices, nothing twice
  auto sandbox_inode = [&] {
    struct stat st {};
    auto pin = s[0].data_dir() + "/netns/s-ingress";
    return ::stat(pin.c_str(), &st) == 0 ? st.st_ino : ino_t{0};
  };
  auto old_sandbox = before.st_ino;
  auto rebuilt = [&] {
    auto now = sandbox_inode();
    return now != 0 && now != old_sandbox && pins_of(s[0]) == pins
           && h.devices(0) == devices && answers();
  };
  CHECK(eventually(rebuilt, 30s, 50ms));
  CHECK(s[0].task_pids() == task);
  // The restarted node may rebuild the sandbox more than once while its
  // view catches up (a known gap: it does not adopt the sandbox in place);
  // what it settles on is the same set, nothing twice.
  auto same = [&] {
    return pins_of(s[0]) == pins && h.devices(0) == devices && answers();
  };
  CHECK(eventually(same, 30s, 50ms));
  INFO("before: " << joined(devices) << "after: " << joined(h.devices(0)));
  CHECK(pins_of(s[0]) == pins);
  CHECK(h.devices(0) == devices);
}
