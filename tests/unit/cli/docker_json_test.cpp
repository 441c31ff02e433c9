#include "cli/output/docker_json.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::cli::output;
using oj = nlohmann::ordered_json;

namespace {

constexpr int64_t t0_ns = 1'700'000'000'250'000'000; // 2023-11-14T22:13:20.25Z

// A service with every field the converter knows set.
pb::Service full_service() {
  pb::Service s;
  s.set_id("svc1");
  s.mutable_meta()->set_version(42);
  s.mutable_meta()->set_created_at_ns(t0_ns);
  s.mutable_meta()->set_updated_at_ns(t0_ns + 1);
  auto& spec = *s.mutable_spec();
  spec.set_name("web");
  (*spec.mutable_labels())["tier"] = "front";
  (*spec.mutable_labels())["app"] = "shop";
  spec.set_replicas(3);
  auto& c = *spec.mutable_task()->mutable_container();
  c.set_image("host");
  (*c.mutable_labels())["c"] = "1";
  for (const auto* x : {"python3", "-m", "http.server"})
    c.add_command(x);
  c.add_env("A=1");
  c.set_dir("/srv");
  c.set_user("nobody");
  c.set_hostname("h1");
  c.set_stop_grace_period_ns(10'000'000'000);
  c.add_capability_add("CAP_NET_ADMIN");
  c.add_capability_drop("CAP_CHOWN");
  auto& h = *c.mutable_healthcheck();
  h.add_test("CMD-SHELL");
  h.add_test("true");
  h.set_interval_ns(2'000'000'000);
  h.set_timeout_ns(1'000'000'000);
  h.set_retries(3);
  h.set_start_period_ns(500'000'000);
  auto& m = *c.add_mounts();
  m.set_type(pb::Mount::VOLUME);
  m.set_source("data");
  m.set_target("/data");
  m.set_read_only(true);
  auto& r = *spec.mutable_task()->mutable_resources();
  r.mutable_limits()->set_nano_cpus(500'000'000);
  r.mutable_limits()->set_memory_bytes(256 << 20);
  r.mutable_reservations()->set_memory_bytes(64 << 20);
  auto& rp = *spec.mutable_task()->mutable_restart();
  rp.set_condition(pb::RestartPolicy::ON_FAILURE);
  rp.set_delay_ns(5'000'000'000);
  rp.set_max_attempts(4);
  rp.set_window_ns(60'000'000'000);
  auto& pl = *spec.mutable_task()->mutable_placement();
  pl.add_constraints("node.role==worker");
  pl.add_spread_preferences("node.labels.zone");
  pl.set_max_replicas(2);
  auto& net = *spec.add_networks();
  net.set_target("n1");
  net.add_aliases("www");
  auto& u = *spec.mutable_update();
  u.set_parallelism(2);
  u.set_delay_ns(1'000'000'000);
  u.set_failure_action(pb::UpdateConfig::ROLLBACK);
  u.set_monitor_ns(3'000'000'000);
  u.set_max_failure_ratio(0.2f);
  u.set_order(pb::UpdateConfig::START_FIRST);
  spec.mutable_rollback()->set_parallelism(0);
  spec.mutable_endpoint()->set_mode(pb::EndpointSpec::VIP);
  auto& port = *spec.mutable_endpoint()->add_ports();
  port.set_target_port(80);
  port.set_published_port(8080);
  *s.mutable_previous_spec() = spec;
  s.mutable_previous_spec()->set_replicas(1);
  auto& e = *s.mutable_endpoint();
  *e.mutable_spec() = spec.endpoint();
  *e.add_ports() = port;
  auto& vip = *e.add_virtual_ips();
  vip.set_network_id("n1");
  vip.set_addr("10.0.1.2/24");
  auto& st = *s.mutable_update_status();
  st.set_state(pb::UpdateStatus::ROLLBACK_COMPLETED);
  st.set_started_at_ns(t0_ns);
  st.set_completed_at_ns(t0_ns + 2'000'000'000);
  st.set_message("rollback completed");
  return s;
}

std::vector<std::string> keys(const oj& x) {
  std::vector<std::string> out;
  for (auto i = x.begin(); i != x.end(); ++i)
    out.push_back(i.key());
  return out;
}

} // namespace

TEST_CASE("docker json: a service in the Engine API's shape, in Go's order",
          "[unit]") {
  auto j = service_json(full_service());
  CHECK(keys(j)
        == std::vector<std::string>{"ID", "Version", "CreatedAt", "UpdatedAt",
                                    "Spec", "PreviousSpec", "Endpoint",
                                    "UpdateStatus"});
  CHECK(j["ID"] == "svc1");
  CHECK(j["Version"] == oj{{"Index", 42}});
  CHECK(j["CreatedAt"] == "2023-11-14T22:13:20.25Z");
  CHECK(j["UpdatedAt"] == "2023-11-14T22:13:20.250000001Z");
  const auto& spec = j["Spec"];
  CHECK(keys(spec)
        == std::vector<std::string>{"Name", "Labels", "TaskTemplate", "Mode",
                                    "UpdateConfig", "RollbackConfig",
                                    "EndpointSpec"});
  CHECK(spec["Name"] == "web");
  CHECK(spec["Labels"].dump() == R"({"app":"shop","tier":"front"})");
  CHECK(spec["Mode"] == oj{{"Replicated", {{"Replicas", 3}}}});
  const auto& c = spec["TaskTemplate"]["ContainerSpec"];
  CHECK(
    c.dump()
    == R"({"Image":"host","Labels":{"c":"1"},)"
       R"("Args":["python3","-m","http.server"],"Hostname":"h1",)"
       R"("Env":["A=1"],"Dir":"/srv","User":"nobody",)"
       R"("Mounts":[{"Type":"volume","Source":"data","Target":"/data",)"
       R"("ReadOnly":true}],"StopGracePeriod":10000000000,)"
       R"("Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":2000000000,)"
       R"("Timeout":1000000000,"StartPeriod":500000000,"Retries":3},)"
       R"("CapabilityAdd":["CAP_NET_ADMIN"],"CapabilityDrop":["CAP_CHOWN"]})");
  const auto& t = spec["TaskTemplate"];
  CHECK(t["Resources"].dump()
        == R"({"Limits":{"NanoCPUs":500000000,"MemoryBytes":268435456},)"
           R"("Reservations":{"MemoryBytes":67108864}})");
  CHECK(t["RestartPolicy"].dump()
        == R"({"Condition":"on-failure","Delay":5000000000,"MaxAttempts":4,)"
           R"("Window":60000000000})");
  CHECK(t["Placement"].dump()
        == R"({"Constraints":["node.role==worker"],"Preferences":[{"Spread":)"
           R"({"SpreadDescriptor":"node.labels.zone"}}],"MaxReplicas":2})");
  CHECK(t["Networks"].dump() == R"([{"Target":"n1","Aliases":["www"]}])");
  CHECK(t["ForceUpdate"] == 0);
  CHECK(t["Runtime"] == "container");
  CHECK(
    spec["UpdateConfig"].dump()
    == R"({"Parallelism":2,"Delay":1000000000,"FailureAction":"rollback",)"
       R"("Monitor":3000000000,"MaxFailureRatio":0.2,"Order":"start-first"})");
  // A rollback config that is set keeps its zeros (parallelism 0: all).
  CHECK(spec["RollbackConfig"].dump()
        == R"({"Parallelism":0,"FailureAction":"pause","MaxFailureRatio":0,)"
           R"("Order":"stop-first"})");
  CHECK(spec["EndpointSpec"].dump()
        == R"({"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,)"
           R"("PublishedPort":8080,"PublishMode":"ingress"}]})");
  CHECK(j["PreviousSpec"]["Mode"]["Replicated"]["Replicas"] == 1);
  CHECK(j["Endpoint"]["Spec"] == spec["EndpointSpec"]);
  CHECK(j["Endpoint"]["Ports"][0]["PublishedPort"] == 8080);
  CHECK(j["Endpoint"]["VirtualIPs"].dump()
        == R"([{"NetworkID":"n1","Addr":"10.0.1.2/24"}])");
  CHECK(
    j["UpdateStatus"].dump()
    == R"({"State":"rollback_completed","StartedAt":"2023-11-14T22:13:20.25Z",)"
       R"("CompletedAt":"2023-11-14T22:13:22.25Z","Message":"rollback completed"})");
}

TEST_CASE("docker json: empty fields are left out where Go's omitempty "
          "leaves them out",
          "[unit]") {
  pb::Service s;
  s.set_id("svc1");
  s.mutable_spec()->set_name("web");
  s.mutable_spec()->set_mode(pb::ServiceSpec::GLOBAL);
  s.mutable_spec()->mutable_task()->mutable_container()->set_image("host");
  auto j = service_json(s);
  CHECK(keys(j)
        == std::vector<std::string>{"ID", "Version", "CreatedAt", "UpdatedAt",
                                    "Spec", "Endpoint"});
  CHECK(j["Version"] == oj::object());
  CHECK(j["CreatedAt"] == "0001-01-01T00:00:00Z");
  // Labels has no omitempty in docker's Annotations.
  CHECK(j["Spec"]["Labels"] == oj::object());
  CHECK(j["Spec"]["Mode"] == oj{{"Global", oj::object()}});
  const auto& t = j["Spec"]["TaskTemplate"];
  CHECK(t["ContainerSpec"].dump() == R"({"Image":"host"})");
  CHECK(t["Resources"].dump() == R"({"Limits":{},"Reservations":{}})");
  CHECK(t["RestartPolicy"].dump()
        == R"({"Condition":"any","Delay":0,"MaxAttempts":0})");
  CHECK(t["Placement"] == oj::object());
  CHECK_FALSE(t.contains("Networks"));
  // Unset update and rollback policies read docker's defaults.
  CHECK(j["Spec"]["UpdateConfig"].dump()
        == R"({"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,)"
           R"("MaxFailureRatio":0,"Order":"stop-first"})");
  CHECK(j["Spec"]["RollbackConfig"] == j["Spec"]["UpdateConfig"]);
  CHECK(j["Spec"]["EndpointSpec"].dump() == R"({"Mode":"vip"})");
  CHECK(j["Endpoint"].dump() == R"({"Spec":{}})");
}

TEST_CASE("docker json: the typed view has every field, empty ones with "
          "Go's zero value and nil pointers null",
          "[unit]") {
  pb::Service s;
  s.set_id("svc1");
  s.mutable_spec()->set_name("web");
  auto j = service_json(s, go_view::typed);
  CHECK(j["PreviousSpec"].is_null());
  CHECK(j["UpdateStatus"].is_null());
  const auto& c = j["Spec"]["TaskTemplate"]["ContainerSpec"];
  CHECK(c["Dir"] == "");
  CHECK(c["Env"] == oj::array());
  CHECK(c["Labels"] == oj::object());
  CHECK(c["Healthcheck"].is_null());
  CHECK(c["StopGracePeriod"].is_null());
  CHECK(j["Spec"]["Mode"]["Global"].is_null());
  CHECK(j["Spec"]["Mode"]["Replicated"]["Replicas"] == 0);
  CHECK(j["Spec"]["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] == 0);
  CHECK(j["Version"]["Index"] == 0);
}

TEST_CASE("docker json: a node in the Engine API's shape", "[unit]") {
  pb::Node n;
  n.set_id("node1");
  n.mutable_meta()->set_version(7);
  n.mutable_meta()->set_created_at_ns(t0_ns);
  n.mutable_meta()->set_updated_at_ns(t0_ns);
  (*n.mutable_spec()->mutable_labels())["zone"] = "east";
  n.mutable_spec()->set_desired_role(pb::NodeSpec::MANAGER);
  n.mutable_spec()->set_availability(pb::NodeSpec::DRAIN);
  auto& d = *n.mutable_description();
  d.set_hostname("vm1");
  d.set_os("linux");
  d.set_architecture("x86_64");
  d.mutable_resources()->set_nano_cpus(2'000'000'000);
  d.mutable_resources()->set_memory_bytes(1 << 30);
  d.set_engine_version("0.1.0");
  (*d.mutable_engine_labels())["disk"] = "ssd";
  n.mutable_status()->set_state(pb::NodeStatus::READY);
  n.mutable_status()->set_addr("127.0.0.1");
  auto& m = *n.mutable_manager_status();
  m.set_leader(true);
  m.set_reachability(pb::ManagerStatus::REACHABLE);
  m.set_addr("127.0.0.1:2377");
  auto j = node_json(n);
  CHECK(j.dump()
        == R"({"ID":"node1","Version":{"Index":7},)"
           R"("CreatedAt":"2023-11-14T22:13:20.25Z",)"
           R"("UpdatedAt":"2023-11-14T22:13:20.25Z",)"
           R"("Spec":{"Labels":{"zone":"east"},"Role":"manager",)"
           R"("Availability":"drain"},"Description":{"Hostname":"vm1",)"
           R"("Platform":{"Architecture":"x86_64","OS":"linux"},)"
           R"("Resources":{"NanoCPUs":2000000000,"MemoryBytes":1073741824},)"
           R"("Engine":{"EngineVersion":"0.1.0","Labels":{"disk":"ssd"}}},)"
           R"("Status":{"State":"ready","Addr":"127.0.0.1"},)"
           R"("ManagerStatus":{"Leader":true,"Reachability":"reachable",)"
           R"("Addr":"127.0.0.1:2377"}})");
  // A worker: no ManagerStatus; an empty message and leader flag left out.
  n.clear_manager_status();
  n.mutable_spec()->set_desired_role(pb::NodeSpec::WORKER);
  j = node_json(n);
  CHECK_FALSE(j.contains("ManagerStatus"));
  CHECK(j["Spec"]["Role"] == "worker");
  CHECK(node_json(n, go_view::typed)["ManagerStatus"].is_null());
  CHECK(node_json(n, go_view::typed)["Status"]["Message"] == "");
}
