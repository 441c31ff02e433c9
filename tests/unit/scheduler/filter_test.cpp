#include <catch2/catch.hpp>

#include "actors/scheduler/filter.hpp"
#include "unit/scheduler/builders.hpp"

namespace pb = actorswarm::pb;
using actorswarm::errc;
using namespace actorswarm::scheduler;
using namespace actorswarm::scheduler::test;

namespace {

node_info info(const pb::Node& n) {
  node_info out{n.id()};
  out.set_node(n);
  return out;
}

} // namespace

TEST_CASE("ready_filter wants READY and ACTIVE", "[unit]") {
  ready_filter f;
  auto task = make_task("t1", "s1");
  REQUIRE(f.set_task(task));
  auto n = make_node("n1");
  CHECK(f.check(info(n)));
  struct row {
    pb::NodeStatus::State state;
    pb::NodeSpec::Availability availability;
    bool expected;
  };
  std::vector<row> rows = {
    {pb::NodeStatus::READY, pb::NodeSpec::ACTIVE, true},
    {pb::NodeStatus::READY, pb::NodeSpec::PAUSE, false},
    {pb::NodeStatus::READY, pb::NodeSpec::DRAIN, false},
    {pb::NodeStatus::DOWN, pb::NodeSpec::ACTIVE, false},
    {pb::NodeStatus::UNKNOWN, pb::NodeSpec::ACTIVE, false},
    {pb::NodeStatus::DISCONNECTED, pb::NodeSpec::ACTIVE, false},
  };
  for (const auto& r : rows) {
    n.mutable_status()->set_state(r.state);
    n.mutable_spec()->set_availability(r.availability);
    CHECK(f.check(info(n)) == r.expected);
  }
  CHECK_FALSE(f.check(node_info{"placeholder"}));
  CHECK(f.explain(1) == "1 node not available for new tasks");
  CHECK(f.explain(3) == "3 nodes not available for new tasks");
}

TEST_CASE("resource_filter fits reservations into what is left", "[unit]") {
  resource_filter f;
  CHECK_FALSE(f.set_task(make_task("t0", "s1"))); // nothing reserved
  auto task = make_task("t1", "s1", 2 * one_cpu, 2 * one_gib);
  REQUIRE(f.set_task(task));
  auto n = info(make_node("n1")); // 4 CPUs, 8 GiB
  CHECK(f.check(n));
  n.add_task(usage_of(task));
  CHECK(f.check(n)); // exactly 2 CPUs left
  n.add_task(usage_of(task));
  CHECK_FALSE(f.check(n)); // CPU exhausted
  n.remove_task(usage_of(task));
  CHECK(f.check(n));
  auto memory_hog = make_task("t2", "s1", 0, 9 * one_gib);
  REQUIRE(f.set_task(memory_hog));
  CHECK_FALSE(f.check(info(make_node("n2"))));
  CHECK(f.explain(1) == "insufficient resources on 1 node");
  CHECK(f.explain(2) == "insufficient resources on 2 nodes");
}

TEST_CASE("constraint_filter applies placement constraints", "[unit]") {
  constraint_filter f;
  CHECK_FALSE(f.set_task(make_task("t0", "s1")));
  auto task = make_task("t1", "s1");
  task.mutable_spec()->mutable_placement()->add_constraints(
    "node.labels.zone!=zone-2");
  REQUIRE(f.set_task(task));
  CHECK(f.check(info(make_node("a", {{"zone", "zone-1"}}))));
  CHECK_FALSE(f.check(info(make_node("b", {{"zone", "zone-2"}}))));
  CHECK(f.check(info(make_node("c"))));
  SECTION("unparsable constraints match no node") {
    auto bad = make_task("t2", "s1");
    bad.mutable_spec()->mutable_placement()->add_constraints("zone=east");
    REQUIRE(f.set_task(bad));
    CHECK_FALSE(f.check(info(make_node("a", {{"zone", "east"}}))));
  }
  CHECK(f.explain(3) == "scheduling constraints not satisfied on 3 nodes");
}

TEST_CASE("max_replicas_filter caps tasks of a service per node", "[unit]") {
  max_replicas_filter f;
  CHECK_FALSE(f.set_task(make_task("t0", "s1")));
  auto task = make_task("t1", "s1");
  task.mutable_spec()->mutable_placement()->set_max_replicas(2);
  REQUIRE(f.set_task(task));
  auto n = info(make_node("n1"));
  CHECK(f.check(n));
  n.add_task(usage_of(task));
  n.add_task(usage_of(make_task("other", "s2")));
  CHECK(f.check(n)); // s2 does not count against s1
  n.add_task(usage_of(task));
  CHECK_FALSE(f.check(n));
  CHECK(f.explain(4) == "max replicas per node limit exceed");
}

TEST_CASE("host_port_filter keeps a host-mode port to one task per node",
          "[unit]") {
  host_port_filter f;
  CHECK_FALSE(f.set_task(make_task("t0", "s1")));
  auto publish = [](pb::Task t, uint32_t port, bool host, bool udp) {
    auto& p = *t.mutable_endpoint()->add_ports();
    p.set_published_port(port);
    p.set_target_port(80);
    p.set_publish_mode(host ? pb::PortConfig::HOST : pb::PortConfig::INGRESS);
    p.set_protocol(udp ? pb::PortConfig::UDP : pb::PortConfig::TCP);
    return t;
  };
  auto ingress = publish(make_task("t1", "s1"), 8080, false, false);
  CHECK_FALSE(f.set_task(ingress)); // the mesh's ports are not the node's
  auto task = publish(make_task("t2", "s1"), 8080, true, false);
  REQUIRE(f.set_task(task));
  auto n = info(make_node("n1"));
  CHECK(f.check(n));
  n.add_task(usage_of(publish(make_task("t3", "s2"), 8080, true, true)));
  CHECK(f.check(n)); // 8080/udp is another port
  n.add_task(usage_of(task));
  CHECK_FALSE(f.check(n));
  n.remove_task(usage_of(task));
  CHECK(f.check(n));
  CHECK(f.explain(1) == "host-mode port already in use on 1 node");
  CHECK(f.explain(3) == "host-mode port already in use on 3 nodes");
}

TEST_CASE("pipeline counts the first failing filter per node", "[unit]") {
  pipeline p;
  auto task = make_task("t1", "s1", 3 * one_cpu, 0);
  task.mutable_spec()->mutable_placement()->add_constraints(
    "node.labels.zone==east");
  p.set_task(task);
  auto east = make_node("e1", {{"zone", "east"}});
  CHECK(p.process(info(east)));
  CHECK(p.explain().empty());
  auto west = make_node("w1", {{"zone", "west"}});
  CHECK_FALSE(p.process(info(west)));
  auto down = make_node("d1", {{"zone", "west"}});
  down.mutable_status()->set_state(pb::NodeStatus::DOWN);
  CHECK_FALSE(p.process(info(down))); // ready fails first, not constraints
  auto small = east;
  small.mutable_description()->mutable_resources()->set_nano_cpus(one_cpu);
  CHECK_FALSE(p.process(info(small)));
  CHECK_FALSE(p.process(info(west)));
  // Most failures first; ties keep pipeline order (ready before resources).
  CHECK(p.explain()
        == "scheduling constraints not satisfied on 2 nodes; "
           "1 node not available for new tasks; "
           "insufficient resources on 1 node");
  p.set_task(task);
  CHECK(p.explain().empty());
}

namespace {

// A plugin filter: refuses nodes whose hostname ends in "-bad".
class no_bad_hosts : public filter {
public:
  bool set_task(const pb::Task&) override {
    return true;
  }
  bool check(const node_info& n) const override {
    const auto& h = n.node().description().hostname();
    return h.size() < 4 || h.compare(h.size() - 4, 4, "-bad") != 0;
  }
  std::string explain(size_t nodes) const override {
    return "bad host on " + std::to_string(nodes) + " nodes";
  }
};

} // namespace

TEST_CASE("pipeline runs plugin filters after the default ones", "[unit]") {
  pipeline p;
  p.add_filter(std::make_unique<no_bad_hosts>());
  p.set_task(make_task("t1", "s1"));
  auto n = make_node("x");
  CHECK(p.process(info(n)));
  n.mutable_description()->set_hostname("h-bad");
  CHECK_FALSE(p.process(info(n)));
  CHECK_FALSE(p.process(info(n)));
  CHECK(p.explain() == "bad host on 2 nodes");
}
