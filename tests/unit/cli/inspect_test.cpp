// `service|node|network inspect` print docker's shape and run --format
// templates over it as docker's inspect package does (fake daemon).

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fake_daemon.hpp"
#include "messages/errc.hpp"

using namespace actorswarm;
using cli::test::fake_daemon;

namespace {

// Services web and api; any other ref is not found, as the daemon says it.
void serve_services(fake_daemon& d) {
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (!req.has_service_inspect())
      return std::vector<pb::ControlReply>{r};
    for (const auto& ref : req.service_inspect().refs()) {
      if (ref != "web" && ref != "api") {
        r.Clear();
        r.set_code(static_cast<uint32_t>(errc::not_found));
        r.set_error("No such service: " + ref);
        break;
      }
      auto* s = r.add_services()->mutable_service();
      s->set_id(ref + "id");
      s->mutable_spec()->set_name(ref);
      s->mutable_spec()->set_replicas(2);
      (*s->mutable_spec()->mutable_labels())["tier"] = ref;
      auto* c = s->mutable_spec()->mutable_task()->mutable_container();
      c->set_image("host");
      c->add_command("sleep");
      c->add_command("3600");
    }
    return std::vector<pb::ControlReply>{r};
  };
}

} // namespace

TEST_CASE("service inspect prints docker's Service objects, one request per "
          "ref",
          "[unit]") {
  fake_daemon d;
  serve_services(d);
  REQUIRE(d.run({"service", "inspect", "web", "api"}) == 0);
  CHECK(d.requests.size() == 2);
  auto j = nlohmann::json::parse(d.out.str());
  REQUIRE(j.size() == 2);
  CHECK(j[0]["ID"] == "webid");
  CHECK(j[1]["Spec"]["Name"] == "api");
  CHECK(j[0]["Spec"]["Mode"]["Replicated"]["Replicas"] == 2);
  CHECK(j[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Args"]
        == nlohmann::json::array({"sleep", "3600"}));
  CHECK_FALSE(
    j[0]["Spec"]["TaskTemplate"]["ContainerSpec"].contains("Command"));
  CHECK_FALSE(j[0].contains("spec"));
  CHECK(d.err.str().empty());
}

TEST_CASE("service inspect of a missing ref: docker's error after what was "
          "found, exit 1",
          "[unit]") {
  fake_daemon d;
  serve_services(d);
  CHECK(d.run({"service", "inspect", "web", "nope"}) == 1);
  auto j = nlohmann::json::parse(d.out.str());
  CHECK(j.size() == 1);
  CHECK(d.err.str() == "Error: no such service: nope\n");
  fake_daemon e;
  serve_services(e);
  CHECK(e.run({"service", "inspect", "nope"}) == 1);
  CHECK(e.out.str() == "[]\n");
  CHECK(e.err.str() == "Error: no such service: nope\n");
}

TEST_CASE("service inspect --format reads docker's paths, typed first, raw "
          "JSON on failure",
          "[unit]") {
  fake_daemon d;
  serve_services(d);
  auto format = [&d](const std::string& tmpl) {
    d.out.str("");
    d.err.str("");
    INFO(tmpl);
    CHECK(d.run({"service", "inspect", "--format", tmpl, "web", "api"}) == 0);
    CHECK(d.err.str().empty());
    return d.out.str();
  };
  CHECK(format("{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}}")
        == "web 2\napi 2\n");
  CHECK(format("{{.Spec.Labels}}") == "map[tier:web]\nmap[tier:api]\n");
  CHECK(format("{{json .Spec.Labels}}")
        == "{\"tier\":\"web\"}\n{\"tier\":\"api\"}\n");
  CHECK(format(R"({{index .Spec.Labels "tier"}})") == "web\napi\n");
  // json of a struct is Go's omitempty encoding, as docker's.
  CHECK(format("{{json .Spec.TaskTemplate.ContainerSpec}}")
        == "{\"Image\":\"host\",\"Args\":[\"sleep\",\"3600\"]}\n"
           "{\"Image\":\"host\",\"Args\":[\"sleep\",\"3600\"]}\n");
  // Empty in the JSON (omitempty), there with its zero value in the type.
  CHECK(format("[{{.Spec.TaskTemplate.ContainerSpec.Dir}}]") == "[]\n[]\n");
  CHECK(format("{{.Spec.TaskTemplate.ContainerSpec.Env}}") == "[]\n[]\n");
  CHECK(format("{{join .Spec.TaskTemplate.ContainerSpec.Args \" \"}}")
        == "sleep 3600\nsleep 3600\n");
  CHECK(format("{{if .UpdateStatus}}updating{{else}}idle{{end}}")
        == "idle\nidle\n");
  // A nil pointer's field: the typed view fails, the raw JSON has no key.
  d.err.str("");
  CHECK(d.run({"service", "inspect", "--format", "{{.UpdateStatus.State}}",
               "web"})
        == 1);
  CHECK(d.err.str()
        == "template parsing error: template: :1:2: executing \"\" at "
           "<.UpdateStatus.State>: map has no entry for key "
           "\"UpdateStatus\"\n");
}

TEST_CASE("node inspect prints docker's Node, a worker without ManagerStatus",
          "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    auto* n = r.add_nodes();
    n->set_id("n1");
    n->mutable_description()->set_hostname("vm1");
    n->mutable_status()->set_state(pb::NodeStatus::READY);
    n->mutable_spec()->set_availability(pb::NodeSpec::ACTIVE);
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"node", "inspect", "n1"}) == 0);
  auto j = nlohmann::json::parse(d.out.str());
  CHECK(j[0]["Description"]["Hostname"] == "vm1");
  CHECK(j[0]["Status"]["State"] == "ready");
  CHECK(j[0]["Spec"]["Role"] == "worker");
  CHECK_FALSE(j[0].contains("ManagerStatus"));
  d.out.str("");
  REQUIRE(d.run({"node", "inspect", "--format",
                 "{{.Description.Hostname}} {{.Spec.Availability}}", "n1"})
          == 0);
  CHECK(d.out.str() == "vm1 active\n");
  CHECK(d.run({"node", "inspect", "--format", "{{.ManagerStatus.Leader}}",
               "n1"})
        == 1);
  CHECK(d.err.str()
        == "template parsing error: template: :1:2: executing \"\" at "
           "<.ManagerStatus.Leader>: map has no entry for key "
           "\"ManagerStatus\"\n");
}

TEST_CASE("network inspect prints docker's network in its order", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    auto* n = r.add_networks();
    n->set_id("net1");
    n->mutable_spec()->set_name("appnet");
    n->mutable_spec()->set_driver("overlay");
    n->set_vni(4097);
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"network", "inspect", "--format", "json", "appnet"}) == 0);
  auto j = nlohmann::ordered_json::parse(d.out.str());
  std::vector<std::string> keys;
  for (auto i = j[0].begin(); i != j[0].end(); ++i)
    keys.push_back(i.key());
  CHECK(keys
        == std::vector<std::string>{"Name", "Id", "Created", "Scope", "Driver",
                                    "EnableIPv6", "IPAM", "Internal",
                                    "Attachable", "Ingress", "ConfigFrom",
                                    "ConfigOnly", "Containers", "Options",
                                    "Labels"});
  CHECK(j[0]["Options"]["com.docker.network.driver.overlay.vxlanid_list"]
        == "4097");
  CHECK(d.run({"network", "inspect", "--format", "{{.Nope}}", "appnet"}) == 1);
  CHECK(d.err.str()
        == "template parsing error: template: :1:2: executing \"\" at "
           "<.Nope>: map has no entry for key \"Nope\"\n");
}
