// End to end on one machine, as root: two "hosts" (namespaces of the test's
// own joined by a bridge, tests/unit/dataplane/dataplane_test_support.hpp),
// each with a network plane on the real data plane. A process started
// through the process executor inside the namespace prepared for task t1 on
// host 0 listens on a port; a client in task t2's namespace on host 1
// reaches it by address over VXLAN and by the service's VIP (nftables in
// t2's namespace). Skips without root; the host's own namespace is never
// touched; everything goes at the end, also on failure.

#include "actors/network/network_plane.hpp"

#include "actors/task/process_executor.hpp"
#include "unit/dataplane/dataplane_test_support.hpp"
#include "unit/task/task_test_support.hpp"

using namespace actorswarm;

namespace {

constexpr const char* python = "/usr/bin/python3";

// The server: listens on 8080, tells the test it does (a connection to
// 127.0.0.1:<argv[1]>, which also shows it runs in t1's namespace, where
// the test's ready socket is), then greets every client.
constexpr const char* server_py
  = "import socket,sys\n"
    "s=socket.socket()\n"
    "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "s.bind(('0.0.0.0',8080))\n"
    "s.listen(8)\n"
    "socket.create_connection(('127.0.0.1',int(sys.argv[1]))).close()\n"
    "while True:\n"
    "  c,_=s.accept()\n"
    "  c.sendall(('hello from '+socket.gethostname()+' '\n"
    "    +open('/etc/resolv.conf').read().split()[1]).encode())\n"
    "  c.close()\n";

pb::Assignments assignments() {
  pb::Assignments as;
  as.set_full(true);
  as.set_networks_set(true);
  auto& nn = *as.add_networks();
  auto& n = *nn.mutable_network();
  n.set_id("appnet" + std::to_string(::getpid()));
  n.set_vni(4000 + static_cast<uint32_t>(::getpid() % 1000));
  n.mutable_ipam()->set_subnet("10.0.9.0/24");
  n.mutable_ipam()->set_gateway("10.0.9.1");
  auto peer = [&nn](const char* task, const char* addr, const char* node) {
    auto& p = *nn.add_peers();
    p.set_task_id(task);
    p.set_address(addr);
    p.set_node_addr(node);
  };
  peer("t1", "10.0.9.5/24", "192.168.77.1");
  peer("t2", "10.0.9.6/24", "192.168.77.2");
  auto& s = *nn.add_services();
  s.set_service_id("web");
  s.set_name("web");
  s.set_vip("10.0.9.2/24");
  s.add_backends("10.0.9.5/24");
  return as;
}

pb::Task task_on(const pb::Assignments& as, const std::string& id,
                 const std::string& addr) {
  pb::Task t;
  t.set_id(id);
  auto& a = *t.add_networks();
  a.set_network_id(as.networks(0).network().id());
  a.add_addresses(addr);
  return t;
}

// Connects from `from` to ip:port and reads what the server says ("" on
// failure); every wait bounded.
std::string fetch(const os::netns& from, os::ipv4 ip, uint16_t port) {
  int fd = test::socket_in(from, SOCK_STREAM | SOCK_NONBLOCK);
  if (fd < 0)
    return {};
  auto sa = test::sockaddr_of(ip, port);
  std::string got;
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t elen = sizeof(err);
  if ((rc == 0 || errno == EINPROGRESS) && ::poll(&p, 1, 5000) == 1
      && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0) {
    pollfd r{fd, POLLIN, 0};
    char buf[64] = {};
    if (::poll(&r, 1, 5000) == 1) {
      auto n = ::read(fd, buf, sizeof(buf));
      if (n > 0)
        got.assign(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return got;
}

} // namespace

TEST_CASE("root: a task process in its prepared namespace is reachable from "
          "a task on another host, by address and by VIP",
          "[unit][root]") {
  AS_REQUIRE_ROOT();
  if (::access(python, X_OK) != 0) {
    WARN("skipped: no " << python);
    return;
  }
  test::test_hosts hosts("as-wire", 2);
  // Each node's own pin directory, cleaned up by test_pins.
  test::test_pins pins0("as-wire-n0");
  test::test_pins pins1("as-wire-n1");
  auto make = [&](int i, test::test_pins& pins) {
    os::overlay_config cfg;
    cfg.netns_dir = pins.dir.path();
    cfg.node_id = "w" + std::to_string(i) + std::to_string(::getpid());
    cfg.underlay = hosts.addrs[static_cast<size_t>(i)];
    auto host = hosts.hosts[static_cast<size_t>(i)].dup();
    test::require_ok(host);
    return network::make_os_data_plane(cfg, std::move(*host));
  };
  auto dp0 = make(0, pins0);
  auto dp1 = make(1, pins1);
  test::require_ok(dp0->start());
  test::require_ok(dp1->start());
  network::network_plane plane0(*dp0);
  network::network_plane plane1(*dp1);
  auto as = assignments();
  test::require_ok(plane0.assign(as));
  test::require_ok(plane1.assign(as));
  auto path0 = plane0.prepare(task_on(as, "t1", "10.0.9.5/24"));
  test::require_ok(path0);
  auto path1 = plane1.prepare(task_on(as, "t2", "10.0.9.6/24"));
  test::require_ok(path1);
  auto ns0 = os::netns::open(*path0);
  auto ns1 = os::netns::open(*path1);
  test::require_ok(ns0);
  test::require_ok(ns1);
  // The test's ready socket in t1's namespace.
  int ready = test::socket_in(*ns0, SOCK_STREAM);
  REQUIRE(ready >= 0);
  auto rsa = test::sockaddr_of(os::ipv4{0x7f000001}, 0);
  socklen_t rlen = sizeof(rsa);
  REQUIRE(::bind(ready, reinterpret_cast<sockaddr*>(&rsa), sizeof(rsa)) == 0);
  REQUIRE(::listen(ready, 1) == 0);
  REQUIRE(::getsockname(ready, reinterpret_cast<sockaddr*>(&rsa), &rlen) == 0);
  auto ready_port = std::to_string(ntohs(rsa.sin_port));
  // The process, through the executor, in t1's namespace.
  task::test::temp_dir dir;
  task::process_watcher watcher{20};
  task::process_executor_config ecfg;
  ecfg.tasks_dir = dir.path + "/tasks";
  ecfg.use_cgroups = false;
  task::process_executor exec{ecfg, watcher};
  auto t = task::test::make_task("t1", {python, "-c", server_py, ready_port});
  REQUIRE(exec.prepare(t).ok());
  task::start_options opts;
  opts.netns_path = *path0;
  opts.hostname = "t1-host";
  opts.resolv_conf = "nameserver 127.0.0.11\n";
  auto proc = exec.start(t, opts);
  test::require_ok(proc);
  task::test::exit_waiter w;
  REQUIRE(exec.wait(proc->handle, true, w.callback()));
  REQUIRE(exec.release(*proc).ok());
  struct stopper {
    task::process_executor& exec;
    task::process_handle h;
    task::test::exit_waiter& w;
    ~stopper() {
      exec.terminate(h);
      w.wait();
    }
  } stop{exec, proc->handle, w};
  pollfd p{ready, POLLIN, 0};
  auto listening = ::poll(&p, 1, 20000) == 1; // the server listens
  if (!listening) {
    std::string reason;
    auto st = exec.exec_result(*proc, reason);
    INFO("exec state " << static_cast<int>(st) << " " << reason);
    INFO("log: " << task::test::read_all(exec.logs().log_path("t1")));
    REQUIRE(listening);
  }
  int c = ::accept4(ready, nullptr, nullptr, SOCK_CLOEXEC);
  if (c >= 0)
    ::close(c);
  ::close(ready);
  // Its own hostname and resolv.conf (UTS and mount namespaces).
  const std::string hello = "hello from t1-host 127.0.0.11";
  CHECK(fetch(*ns1, os::ipv4{0x0a000905}, 8080) == hello);
  CHECK(fetch(*ns1, os::ipv4{0x0a000902}, 8080) == hello); // VIP
  // Not in the host's namespace: the hosts have no such listener.
  CHECK(fetch(hosts.hosts[0], os::ipv4{0x7f000001}, 8080).empty());
  // Release: namespaces and the network go.
  exec.terminate(proc->handle);
  REQUIRE(w.wait());
  test::require_ok(plane0.release("t1"));
  test::require_ok(plane1.release("t2"));
  CHECK(plane0.networks().empty());
  auto left = pins0.dir.list();
  test::require_ok(left);
  CHECK(left->empty());
}
