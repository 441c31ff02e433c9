// The network plane's part of the gateway (network_plane_gateway.cpp,
// gateway_pool.hpp): which tasks get a leg, its address (never one taken,
// also after a restart), the default route, and the gateway removed with its
// last task. A fake data plane records the calls; no root needed.

#include "actors/network/gateway_pool.hpp"
#include "actors/network/network_plane.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::network;

namespace {

class fake_dp : public data_plane {
public:
  std::vector<std::string> calls;
  /// What reconcile() reports found (the tasks it names are adopted).
  os::reconcile_report found;

  status start() override {
    return ok_status();
  }

  result<os::reconcile_report> reconcile(const os::desired_state& d) override {
    std::string x = "reconcile";
    for (auto& t : d.tasks) {
      x += " " + t.id;
      for (auto& l : t.legs)
        x += l.default_route ? "+default" : "";
    }
    calls.push_back(x);
    auto rep = found;
    for (auto& t : d.tasks)
      if (std::find(rep.adopted_tasks.begin(), rep.adopted_tasks.end(), t.id)
          == rep.adopted_tasks.end())
        rep.missing_tasks.push_back(t.id);
    return rep;
  }

  status ensure_network(const os::network_desc&) override {
    return ok_status();
  }

  status set_peers(const std::string&, const std::vector<os::peer>&) override {
    return ok_status();
  }

  status remove_network(const std::string& id) override {
    calls.push_back("remove-network " + id);
    return ok_status();
  }

  result<std::string> create_task(const std::string& id) override {
    return "/netns/t-" + id;
  }

  status attach_task(const std::string& id, const os::task_leg& l) override {
    calls.push_back("attach " + id + " " + l.ifname
                    + (l.default_route ? " default" : ""));
    return ok_status();
  }

  status remove_task(const std::string& id) override {
    calls.push_back("remove-task " + id);
    return ok_status();
  }

  status apply_vip(const std::string&, const nft::vip_state&) override {
    return ok_status();
  }

  os::ipv4_prefix gateway_subnet() const override {
    return subnet;
  }

  os::ipv4_prefix subnet = *os::parse_ipv4_prefix("10.99.0.0/29"); // .2-.6

  status attach_gateway(const std::string& id,
                        const os::gateway_leg& l) override {
    calls.push_back("gateway " + id + " " + os::to_string(l.address) + " "
                    + l.ifname);
    if (id == fail_gateway)
      return fail(errc::internal, "netlink: no room");
    return ok_status();
  }

  status remove_gateway() override {
    calls.push_back("remove-gateway");
    return ok_status();
  }

  // No routing mesh in these tests.
  result<os::sandbox_info> ensure_sandbox(const os::sandbox_desc&) override {
    return fail(errc::internal, "no sandbox here");
  }

  status remove_sandbox() override {
    return ok_status();
  }

  result<nft::forward_report> apply_mesh(const nft::mesh_state&) override {
    return fail(errc::internal, "no mesh here");
  }

  std::string fail_gateway;

  std::vector<std::string> take() {
    return std::exchange(calls, {});
  }
};

pb::NodeNetwork net(const std::string& id, const std::string& subnet,
                    bool internal) {
  pb::NodeNetwork x;
  auto& n = *x.mutable_network();
  n.set_id(id);
  n.set_vni(7);
  n.mutable_ipam()->set_subnet(subnet);
  n.mutable_spec()->set_internal(internal);
  return x;
}

pb::Assignments full_set() {
  pb::Assignments as;
  as.set_full(true);
  as.set_networks_set(true);
  *as.add_networks() = net("pub", "10.0.1.0/24", false);
  *as.add_networks() = net("int", "10.0.2.0/24", true);
  return as;
}

pb::Task task(const std::string& id, std::vector<std::string> networks) {
  pb::Task t;
  t.set_id(id);
  int k = 5;
  for (auto& n : networks) {
    auto& a = *t.add_networks();
    a.set_network_id(n);
    a.add_addresses(n == "pub" ? "10.0.1." + std::to_string(k++) + "/24"
                               : "10.0.2." + std::to_string(k++) + "/24");
  }
  return t;
}

} // namespace

TEST_CASE("gateway pool: next-fit over the subnet without its network, "
          "bridge and broadcast addresses",
          "[unit]") {
  gateway_pool pool{*os::parse_ipv4_prefix("10.99.0.0/29")};
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i)
    got.push_back(os::to_string(*pool.take()));
  CHECK(got
        == std::vector<std::string>{"10.99.0.2/29", "10.99.0.3/29",
                                    "10.99.0.4/29", "10.99.0.5/29",
                                    "10.99.0.6/29"});
  auto full = pool.take();
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == errc::refused);
  CHECK(full.error().message
        == "no free address in the gateway subnet 10.99.0.0/29");
  pool.release(*os::parse_ipv4("10.99.0.3"));
  pool.release(*os::parse_ipv4("10.99.0.5"));
  CHECK(os::to_string(*pool.take()) == "10.99.0.3/29");
  CHECK(os::to_string(*pool.take()) == "10.99.0.5/29");
  CHECK(pool.used() == 5);
  // Released addresses come back only after the others.
  gateway_pool p2{*os::parse_ipv4_prefix("172.18.0.0/16")};
  auto a = *p2.take();
  p2.release(a.addr);
  CHECK(os::to_string(*p2.take()) == "172.18.0.3/16");
  // Marked (adopted) addresses are skipped; reserved ones are refused.
  CHECK(p2.mark(*os::parse_ipv4("172.18.0.4")));
  CHECK(os::to_string(*p2.take()) == "172.18.0.5/16");
  CHECK_FALSE(p2.mark(*os::parse_ipv4("172.18.0.1")));
  CHECK_FALSE(p2.mark(*os::parse_ipv4("172.18.255.255")));
  CHECK_FALSE(p2.mark(*os::parse_ipv4("172.19.0.2")));
  // A subnet the gateway cannot use hands out nothing.
  gateway_pool bad{*os::parse_ipv4_prefix("10.0.0.0/31")};
  CHECK_FALSE(bad.take().ok());
}

TEST_CASE("network plane: tasks on a non-internal network get a gateway leg "
          "with the default route, internal-only tasks do not",
          "[unit]") {
  fake_dp dp;
  network_plane plane{dp};
  REQUIRE(plane.assign(full_set()).ok());
  dp.take();
  REQUIRE(plane.prepare(task("t1", {"pub"})).ok());
  CHECK(dp.take()
        == std::vector<std::string>{"attach t1 eth0",
                                    "gateway t1 10.99.0.2/29 eth1"});
  REQUIRE(plane.prepare(task("t2", {"int"})).ok());
  CHECK(dp.take() == std::vector<std::string>{"attach t2 eth0 default"});
  // Internal and not: the way out, after both legs.
  REQUIRE(plane.prepare(task("t3", {"int", "pub"})).ok());
  CHECK(dp.take()
        == std::vector<std::string>{"attach t3 eth0", "attach t3 eth1",
                                    "gateway t3 10.99.0.3/29 eth2"});
  // Prepared again: the same address.
  REQUIRE(plane.prepare(task("t3", {"int", "pub"})).ok());
  CHECK(dp.take().back() == "gateway t3 10.99.0.3/29 eth2");
  REQUIRE(plane.release("t1").ok());
  CHECK(dp.take() == std::vector<std::string>{"remove-task t1"});
  // t1's address is not handed out again at once.
  REQUIRE(plane.prepare(task("t4", {"pub"})).ok());
  CHECK(dp.take().back() == "gateway t4 10.99.0.4/29 eth1");
  REQUIRE(plane.release("t2").ok());
  REQUIRE(plane.release("t3").ok());
  CHECK(dp.take()
        == std::vector<std::string>{"remove-task t2", "remove-task t3",
                                    "remove-network int"});
  // The last task with a leg goes, and the gateway with it.
  REQUIRE(plane.release("t4").ok());
  CHECK(dp.take()
        == std::vector<std::string>{"remove-task t4", "remove-network pub",
                                    "remove-gateway"});
}

TEST_CASE("network plane: a failed gateway leg undoes the prepare and gives "
          "its address back",
          "[unit]") {
  fake_dp dp;
  network_plane plane{dp};
  REQUIRE(plane.assign(full_set()).ok());
  dp.fail_gateway = "t1";
  auto r = plane.prepare(task("t1", {"pub"}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "netlink: no room");
  CHECK(dp.take().back() == "remove-gateway");
  CHECK(plane.task_ids().empty());
  dp.fail_gateway.clear();
  REQUIRE(plane.prepare(task("t2", {"pub"})).ok());
  CHECK(dp.take().back() == "gateway t2 10.99.0.3/29 eth1");
}

TEST_CASE("network plane: after a restart, adopted tasks keep their gateway "
          "legs and addresses, and one that lost its leg gets a new one",
          "[unit]") {
  fake_dp dp;
  dp.found.adopted_tasks = {"t1", "t2"};
  dp.found.gateway_legs["t1"] = {*os::parse_ipv4_prefix("10.99.0.3/29"),
                                 "eth1"};
  network_plane plane{dp};
  auto as = full_set();
  *as.add_update() = task("t1", {"pub"});
  *as.add_update() = task("t2", {"pub"});
  *as.add_update() = task("t9", {"int"}); // not pinned any more
  REQUIRE(plane.assign(as).ok());
  // The desired legs carry no default route where a gateway leg will.
  CHECK(dp.take()
        == std::vector<std::string>{"reconcile t1 t2 t9+default",
                                    "gateway t2 10.99.0.4/29 eth1"});
  // 10.99.0.3 is t1's: handing out goes on after it.
  REQUIRE(plane.prepare(task("t5", {"pub"})).ok());
  CHECK(dp.take().back() == "gateway t5 10.99.0.5/29 eth1");
  for (auto id : {"t1", "t2", "t5"})
    REQUIRE(plane.release(id).ok());
  CHECK(dp.take().back() == "remove-gateway");
}

TEST_CASE("network plane: on a node whose gateway is off, tasks keep the "
          "default route on their first network",
          "[unit]") {
  fake_dp dp;
  dp.subnet = os::gateway_off;
  network_plane plane{dp};
  REQUIRE(plane.assign(full_set()).ok());
  dp.take();
  REQUIRE(plane.prepare(task("t1", {"pub"})).ok());
  CHECK(dp.take() == std::vector<std::string>{"attach t1 eth0 default"});
  REQUIRE(plane.release("t1").ok());
  CHECK(dp.take()
        == std::vector<std::string>{"remove-task t1", "remove-network pub"});
}
