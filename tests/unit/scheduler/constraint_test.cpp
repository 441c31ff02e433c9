#include <catch2/catch.hpp>

#include "actors/scheduler/constraint.hpp"
#include "unit/scheduler/builders.hpp"

namespace pb = actorswarm::pb;
using actorswarm::errc;
using namespace actorswarm::scheduler;
using namespace actorswarm::scheduler::test;

TEST_CASE("parse_constraint accepts Docker's keys and operators", "[unit]") {
  struct row {
    std::string expr;
    constraint_key key;
    std::string label;
    constraint_op op;
    std::string value;
  };
  std::vector<row> rows = {
    {"node.id==abc", constraint_key::node_id, "", constraint_op::eq, "abc"},
    {"node.hostname!=web-1", constraint_key::hostname, "", constraint_op::neq,
     "web-1"},
    {"node.role==manager", constraint_key::role, "", constraint_op::eq,
     "manager"},
    {"node.labels.zone==east", constraint_key::node_label, "zone",
     constraint_op::eq, "east"},
    {"engine.labels.os==linux", constraint_key::engine_label, "os",
     constraint_op::eq, "linux"},
    {"node.platform.os==linux", constraint_key::platform_os, "",
     constraint_op::eq, "linux"},
    {"node.platform.arch!=arm64", constraint_key::platform_arch, "",
     constraint_op::neq, "arm64"},
    {"  node.labels.Zone  ==  east ", constraint_key::node_label, "Zone",
     constraint_op::eq, "east"},
    {"NODE.ROLE==Worker", constraint_key::role, "", constraint_op::eq,
     "Worker"},
    {"node.labels.my.dotted-key_1==a/b:c", constraint_key::node_label,
     "my.dotted-key_1", constraint_op::eq, "a/b:c"},
  };
  for (const auto& r : rows) {
    INFO("expr=" << r.expr);
    auto c = parse_constraint(r.expr);
    REQUIRE(c.ok());
    CHECK(c->key == r.key);
    CHECK(c->label == r.label);
    CHECK(c->op == r.op);
    CHECK(c->value == r.value);
  }
}

TEST_CASE("parse_constraint refuses malformed expressions", "[unit]") {
  std::vector<std::pair<std::string, std::string>> rows = {
    {"zone=east",
     "invalid constraint expression \"zone=east\": expected == or !="},
    {"node.labels.zone", "invalid constraint expression \"node.labels.zone\": "
                         "expected == or !="},
    {"==east",
     "invalid constraint expression \"==east\": missing key before the "
     "operator"},
    {"node.labels.zone==",
     "invalid constraint expression \"node.labels.zone==\": missing value "
     "after the operator"},
    {"node.labels.zone==a!=b",
     "invalid constraint expression \"node.labels.zone==a!=b\": invalid value "
     "\"a!=b\""},
    {"node.labels.zone===b",
     "invalid constraint expression \"node.labels.zone===b\": invalid value "
     "\"=b\""},
    {"node.role==boss", "invalid constraint expression \"node.role==boss\": "
                        "node.role must be manager or worker"},
    {"node.labels.==x",
     "invalid constraint expression \"node.labels.==x\": unknown key "
     "\"node.labels.\" (expected node.id, node.hostname, node.role, "
     "node.platform.os, node.platform.arch, node.labels.<name> or "
     "engine.labels.<name>)"},
    {"node.labels.a b==x", "invalid constraint expression \"node.labels.a "
                           "b==x\": invalid label name \"a b\""},
  };
  for (const auto& [expr, message] : rows) {
    INFO("expr=" << expr);
    auto c = parse_constraint(expr);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code == errc::invalid_spec);
    CHECK(c.error().message == message);
  }
  SECTION("the list fails on its first bad expression") {
    auto cs = parse_constraints({"node.role==worker", "bogus", "x=y"});
    REQUIRE_FALSE(cs.ok());
    CHECK(cs.error().message
          == "invalid constraint expression \"bogus\": expected == or !=");
  }
  SECTION("unknown keys are refused up front") {
    auto c = parse_constraint("node.ip==10.0.0.1");
    REQUIRE_FALSE(c.ok());
  }
}

TEST_CASE("matches evaluates constraints against a node", "[unit]") {
  auto node = make_node("n1", {{"zone", "east"}, {"Disk", "ssd"}});
  node.set_role(pb::NodeSpec::MANAGER);
  (*node.mutable_description()->mutable_engine_labels())["os"] = "linux";
  struct row {
    std::string expr;
    bool expected;
  };
  std::vector<row> rows = {
    {"node.id==n1", true},
    {"node.id==N1", true}, // values compare case-insensitively
    {"node.id!=n1", false},
    {"node.hostname==host-n1", true},
    {"node.hostname!=other", true},
    {"node.role==manager", true},
    {"node.role==worker", false},
    {"node.role!=worker", true},
    {"node.labels.zone==east", true},
    {"node.labels.zone==EAST", true},
    {"node.labels.zone!=east", false},
    {"node.labels.Zone==east", false}, // label names are case-sensitive
    {"node.labels.Disk==ssd", true},
    {"node.labels.rack==r1", false}, // missing label is ""
    {"node.labels.rack!=r1", true},
    {"engine.labels.os==linux", true},
    {"engine.labels.os!=linux", false},
    {"node.platform.os==linux", true},
    {"node.platform.arch==x86_64", true},
    {"node.platform.arch==arm64", false},
  };
  for (const auto& r : rows) {
    INFO("expr=" << r.expr);
    auto c = parse_constraint(r.expr);
    REQUIRE(c.ok());
    CHECK(matches(*c, node) == r.expected);
  }
  SECTION("a list matches only when every constraint does") {
    auto both = parse_constraints({"node.role==manager",
                                   "node.labels.zone==east"});
    REQUIRE(both.ok());
    CHECK(matches(*both, node));
    auto one_off = parse_constraints({"node.role==manager",
                                      "node.labels.zone==west"});
    REQUIRE(one_off.ok());
    CHECK_FALSE(matches(*one_off, node));
    CHECK(matches(std::vector<constraint>{}, node));
  }
}

TEST_CASE("spread_value reads node and engine labels", "[unit]") {
  auto node = make_node("n1", {{"zone", "east"}});
  (*node.mutable_description()->mutable_engine_labels())["rack"] = "r7";
  std::string value;
  REQUIRE(spread_value("node.labels.zone", node, value));
  CHECK(value == "east");
  REQUIRE(spread_value("engine.labels.rack", node, value));
  CHECK(value == "r7");
  REQUIRE(spread_value("node.labels.missing", node, value));
  CHECK(value.empty());
  CHECK_FALSE(spread_value("node.hostname", node, value));
}
