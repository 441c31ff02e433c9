// The network actor with a fake data plane (no root needed): it follows the
// assignments' network part, prepares and releases task namespaces, and
// keeps the task namespaces' VIP tables in step with the backends.

#include "actors/network/network_actor.hpp"

#include <memory>
#include <string>
#include <vector>

#include "actors/network/data_plane.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;

namespace {

// What the fake data plane was asked, one line per call.
struct plane_log {
  std::vector<std::string> calls;
  std::string fail_create; // task id whose create_task fails
};

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ",") + x;
  return out;
}

class fake_plane : public network::data_plane {
public:
  explicit fake_plane(std::shared_ptr<plane_log> log) : log_(std::move(log)) {
    // nop
  }

  status start() override {
    log_->calls.push_back("start");
    return ok_status();
  }

  result<os::reconcile_report> reconcile(const os::desired_state& d) override {
    std::vector<std::string> ts;
    for (auto& t : d.tasks)
      ts.push_back(t.id);
    log_->calls.push_back("reconcile " + std::to_string(d.networks.size())
                          + " [" + join(ts) + "]");
    os::reconcile_report rep; // nothing was pinned: every task is missing
    rep.missing_tasks = ts;
    return rep;
  }

  status ensure_network(const os::network_desc& d) override {
    log_->calls.push_back("ensure " + d.id + " vni=" + std::to_string(d.vni)
                          + " " + os::to_string(d.subnet)
                          + " gw=" + os::to_string(d.gateway));
    return ok_status();
  }

  status set_peers(const std::string& id,
                   const std::vector<os::peer>& ps) override {
    std::vector<std::string> xs;
    for (auto& p : ps)
      xs.push_back(os::to_string(p.task_ip) + "@" + os::to_string(p.node_ip));
    log_->calls.push_back("peers " + id + " [" + join(xs) + "]");
    return ok_status();
  }

  status remove_network(const std::string& id) override {
    log_->calls.push_back("remove-network " + id);
    return ok_status();
  }

  result<std::string> create_task(const std::string& id) override {
    log_->calls.push_back("create " + id);
    if (id == log_->fail_create)
      return fail(errc::internal, "netlink: no room");
    return "/netns/t-" + id;
  }

  status attach_task(const std::string& id, const os::task_leg& l) override {
    log_->calls.push_back("attach " + id + " " + l.network_id + " "
                          + os::to_string(l.address) + " " + l.ifname
                          + (l.default_route ? " default" : ""));
    return ok_status();
  }

  status remove_task(const std::string& id) override {
    log_->calls.push_back("remove-task " + id);
    return ok_status();
  }

  result<os::sandbox_info> ensure_sandbox(const os::sandbox_desc& d) override {
    log_->calls.push_back("sandbox " + d.network_id + " "
                          + os::to_string(d.address));
    os::sandbox_info info;
    info.netns_path = "/fake/s-ingress";
    info.host_device = "asfakei000000";
    info.host_address = {0xa9fe1e01};
    info.sandbox_address = {0xa9fe1e02};
    return info;
  }

  status remove_sandbox() override {
    log_->calls.push_back("unsandbox");
    return ok_status();
  }

  result<nft::forward_report> apply_mesh(const nft::mesh_state& x) override {
    std::string ports;
    for (auto& p : x.ingress_ports) {
      ports += (ports.empty() ? "" : ",") + std::to_string(p.published) + "->"
               + std::to_string(p.target) + "[" + join(p.backends) + "]";
    }
    log_->calls.push_back("mesh " + x.sandbox_address + " " + ports);
    return nft::forward_report{};
  }

  status apply_vip(const std::string& id, const nft::vip_state& x) override {
    std::vector<std::string> xs;
    for (auto& s : x.services)
      xs.push_back(s.vip + "->" + join(s.backends));
    log_->calls.push_back("vip " + id + " [" + join(xs) + "]");
    return ok_status();
  }

  os::ipv4_prefix gateway_subnet() const override {
    return os::default_gateway_subnet;
  }

  status attach_gateway(const std::string& id,
                        const os::gateway_leg& l) override {
    log_->calls.push_back("gateway " + id + " " + os::to_string(l.address) + " "
                          + l.ifname);
    return ok_status();
  }

  status remove_gateway() override {
    log_->calls.push_back("remove-gateway");
    return ok_status();
  }

private:
  std::shared_ptr<plane_log> log_;
};

pb::NodeNetwork app_network(std::vector<std::string> backends) {
  pb::NodeNetwork nn;
  auto& n = *nn.mutable_network();
  n.set_id("app");
  n.set_vni(4097);
  n.mutable_ipam()->set_subnet("10.0.1.0/24");
  n.mutable_ipam()->set_gateway("10.0.1.1");
  auto peer = [&nn](const std::string& task, const std::string& addr,
                    const std::string& node) {
    auto& p = *nn.add_peers();
    p.set_task_id(task);
    p.set_address(addr);
    p.set_node_addr(node);
  };
  peer("t1", "10.0.1.5/24", "192.168.1.1");
  peer("t2", "10.0.1.6/24", "192.168.1.2");
  auto& s = *nn.add_services();
  s.set_service_id("web");
  s.set_name("web");
  s.set_vip("10.0.1.2/24");
  for (auto& b : backends)
    s.add_backends(b);
  return nn;
}

pb::Task app_task(const std::string& id, const std::string& addr) {
  pb::Task t;
  t.set_id(id);
  t.set_node_id("n1");
  auto& a = *t.add_networks();
  a.set_network_id("app");
  a.add_addresses(addr);
  return t;
}

struct network_fixture : actor_fixture {
  std::shared_ptr<plane_log> log = std::make_shared<plane_log>();
  network::network_actor_type net;

  network_fixture() {
    network::network_actor_config cfg;
    cfg.node_id = "n1";
    cfg.addr = "192.168.1.1:2377";
    cfg.detached = false;
    cfg.dns = false;
    auto l = log;
    cfg.make = [l](uint16_t) { return std::make_unique<fake_plane>(l); };
    net = track(network::spawn_network_actor(sys, std::move(cfg)));
  }

  void assign(const pb::Assignments& as) {
    caf::anon_send(net, net_assign_atom::value, as);
    drain();
  }

  std::vector<std::string> take() {
    return std::exchange(log->calls, {});
  }
};

} // namespace

TEST_CASE_METHOD(network_fixture,
                 "network actor: a task on a network gets its namespace, "
                 "legs, peers and VIP table",
                 "[actor]") {
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  *full.add_networks() = app_network({"10.0.1.6/24"});
  *full.add_update() = app_task("t1", "10.0.1.5/24");
  assign(full);
  CHECK(take()
        == std::vector<std::string>{
          "start", "reconcile 1 [t1]",
          "ensure app vni=4097 10.0.1.0/24 "
          "gw=10.0.1.1",
          "peers app [10.0.1.5@192.168.1.1,10.0.1.6@192.168.1.2]"});
  auto path = ask_ok<std::string>(net, net_prepare_atom::value,
                                  app_task("t1", "10.0.1.5/24"));
  CHECK(path == "/netns/t-t1");
  CHECK(take()
        == std::vector<std::string>{"create t1",
                                    "attach t1 app 10.0.1.5/24 eth0",
                                    "gateway t1 172.18.0.2/16 eth1",
                                    "vip t1 [10.0.1.2->10.0.1.6]"});
  // t1 runs now: a backend more; the VIP table follows, the peers did not
  // change.
  pb::Assignments inc;
  inc.set_networks_set(true);
  *inc.add_networks() = app_network({"10.0.1.5/24", "10.0.1.6/24"});
  assign(inc);
  CHECK(take()
        == std::vector<std::string>{"vip t1 [10.0.1.2->10.0.1.5,10.0.1.6]"});
  // An assignment without a network part changes nothing.
  assign(pb::Assignments{});
  CHECK(take().empty());
  // The process exited: its namespace goes, and the network with its last
  // local task.
  caf::anon_send(net, net_release_atom::value, std::string{"t1"});
  drain();
  CHECK(take()
        == std::vector<std::string>{"remove-task t1", "remove-network app",
                                    "remove-gateway"});
}

TEST_CASE_METHOD(network_fixture,
                 "network actor: a network not assigned here is refused and "
                 "a failed prepare leaves nothing",
                 "[actor]") {
  auto r = ask<std::string>(net, net_prepare_atom::value,
                            app_task("t1", "10.0.1.5/24"));
  CHECK_FALSE(r.ok);
  CHECK(r.error.code == errc::not_found);
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  *full.add_networks() = app_network({});
  assign(full);
  take();
  log->fail_create = "t9";
  r = ask<std::string>(net, net_prepare_atom::value,
                       app_task("t9", "10.0.1.9/24"));
  CHECK_FALSE(r.ok);
  CHECK(r.error.message == "netlink: no room");
  auto calls = take();
  REQUIRE(calls.size() >= 2);
  CHECK(calls[calls.size() - 2] == "remove-task t9");
  CHECK(calls.back() == "remove-network app");
}

TEST_CASE_METHOD(network_fixture,
                 "network actor: nothing starts on a node without networks",
                 "[actor]") {
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  assign(full);
  CHECK(take().empty());
}

TEST_CASE_METHOD(network_fixture,
                 "network actor: a task on internal networks only gets no "
                 "gateway leg, its first leg keeps the default route",
                 "[actor]") {
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  auto nn = app_network({});
  nn.mutable_network()->mutable_spec()->set_internal(true);
  *full.add_networks() = nn;
  assign(full);
  take();
  auto path = ask_ok<std::string>(net, net_prepare_atom::value,
                                  app_task("t1", "10.0.1.5/24"));
  CHECK(path == "/netns/t-t1");
  CHECK(take()
        == std::vector<std::string>{
          "ensure app vni=4097 10.0.1.0/24 gw=10.0.1.1",
          "peers app [10.0.1.5@192.168.1.1,10.0.1.6@192.168.1.2]", "create t1",
          "attach t1 app 10.0.1.5/24 eth0 default", "vip t1 [10.0.1.2->]"});
  caf::anon_send(net, net_release_atom::value, std::string{"t1"});
  drain();
  CHECK(take()
        == std::vector<std::string>{"remove-task t1", "remove-network app"});
}

namespace {

// The ingress network with one service publishing 8000 -> 80 over
// `backends`, as the dispatcher sends it to every node.
pb::NodeNetwork ingress_network(const std::vector<std::string>& backends) {
  pb::NodeNetwork nn;
  auto& n = *nn.mutable_network();
  n.set_id("ing");
  n.set_vni(4096);
  n.mutable_spec()->set_ingress(true);
  n.mutable_ipam()->set_subnet("10.0.0.0/24");
  n.mutable_ipam()->set_gateway("10.0.0.1");
  auto& sb = *nn.add_peers(); // node n2's sandbox
  sb.set_address("10.0.0.3/24");
  sb.set_node_id("n2");
  sb.set_node_addr("192.168.1.2");
  auto& s = *nn.add_services();
  s.set_service_id("web");
  s.set_name("web");
  s.set_vip("10.0.0.4/24");
  for (auto& b : backends)
    s.add_backends(b);
  auto& p = *s.add_ports();
  p.set_target_port(80);
  p.set_published_port(8000);
  return nn;
}

} // namespace

TEST_CASE_METHOD(network_fixture,
                 "network actor: the routing mesh follows the published "
                 "ports and their backends, and goes with the last port",
                 "[actor]") {
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  full.set_ingress_address("10.0.0.2/24");
  *full.add_networks() = ingress_network({"10.0.0.5/24"});
  assign(full);
  CHECK(take()
        == std::vector<std::string>{
          "start", "reconcile 0 []",
          "ensure ing vni=4096 10.0.0.0/24 gw=10.0.0.1",
          "peers ing [10.0.0.3@192.168.1.2]", "sandbox ing 10.0.0.2/24",
          "mesh 169.254.30.2 8000->80[10.0.0.5]"});
  // Another backend: only the rules change.
  pb::Assignments inc;
  inc.set_networks_set(true);
  inc.set_ingress_address("10.0.0.2/24");
  *inc.add_networks() = ingress_network({"10.0.0.5/24", "10.0.0.6/24"});
  assign(inc);
  CHECK(take()
        == std::vector<std::string>{"mesh 169.254.30.2 8000->80[10.0.0.5,"
                                    "10.0.0.6]"});
  // The same again: nothing.
  assign(inc);
  CHECK(take().empty());
  // The timer applies the rules again (a firewall reload).
  caf::anon_send(net, net_refresh_atom::value);
  drain();
  CHECK(take()
        == std::vector<std::string>{"mesh 169.254.30.2 8000->80[10.0.0.5,"
                                    "10.0.0.6]"});
  // No published port any more: no ingress network, no mesh.
  pb::Assignments gone;
  gone.set_networks_set(true);
  assign(gone);
  CHECK(take() == std::vector<std::string>{"unsandbox", "remove-network ing"});
}

TEST_CASE_METHOD(network_fixture,
                 "network actor: a node that started with nothing gets its "
                 "mesh from a later increment, without a reconcile",
                 "[actor]") {
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  assign(full);
  CHECK(take().empty());
  pb::Assignments inc;
  inc.set_networks_set(true);
  inc.set_ingress_address("10.0.0.2/24");
  *inc.add_networks() = ingress_network({"10.0.0.5/24"});
  assign(inc);
  CHECK(take()
        == std::vector<std::string>{
          "start", "ensure ing vni=4096 10.0.0.0/24 gw=10.0.0.1",
          "peers ing [10.0.0.3@192.168.1.2]", "sandbox ing 10.0.0.2/24",
          "mesh 169.254.30.2 8000->80[10.0.0.5]"});
}

TEST_CASE_METHOD(network_fixture,
                 "network actor: a task asked to stop keeps its VIP table "
                 "until it goes",
                 "[actor]") {
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  *full.add_networks() = app_network({"10.0.1.6/24"});
  *full.add_update() = app_task("t1", "10.0.1.5/24");
  assign(full);
  ask_ok<std::string>(net, net_prepare_atom::value,
                      app_task("t1", "10.0.1.5/24"));
  take();
  // Its service goes: t1 is asked to stop and the backends change.
  pb::Assignments inc;
  inc.set_networks_set(true);
  *inc.add_networks() = app_network({});
  auto stop = app_task("t1", "10.0.1.5/24");
  stop.set_desired_state(pb::SHUTDOWN);
  *inc.add_update() = stop;
  assign(inc);
  CHECK(take().empty());
}

TEST_CASE_METHOD(network_fixture,
                 "network actor: a local task that exits leaves the other "
                 "local tasks' VIP tables at once, before the assignments say",
                 "[actor]") {
  auto nn = app_network({"10.0.1.5/24", "10.0.1.6/24"});
  for (auto& p : *nn.mutable_peers()) {
    p.set_running(true);
    p.set_service_id("web");
  }
  pb::Assignments full;
  full.set_full(true);
  full.set_networks_set(true);
  *full.add_networks() = nn;
  *full.add_update() = app_task("t1", "10.0.1.5/24");
  *full.add_update() = app_task("t3", "10.0.1.7/24");
  assign(full);
  ask_ok<std::string>(net, net_prepare_atom::value,
                      app_task("t1", "10.0.1.5/24"));
  ask_ok<std::string>(net, net_prepare_atom::value,
                      app_task("t3", "10.0.1.7/24"));
  take();
  caf::anon_send(net, net_release_atom::value, std::string{"t1"});
  drain();
  auto calls = take();
  REQUIRE(calls.size() >= 2);
  CHECK(std::count(calls.begin(), calls.end(), "vip t3 [10.0.1.2->10.0.1.6]")
        == 1);
  CHECK(calls.back() == "remove-task t1");
}
