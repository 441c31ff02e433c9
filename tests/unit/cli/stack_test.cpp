// `stack deploy|ls|services|ps|rm` against a fake daemon that keeps
// services and networks as the control rules store them (network targets
// as ids, versions bumped per write): docker's lines, a redeploy that
// updates only the service whose spec changed, --prune, rm.

#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "support/temp_dir.hpp"
#include "unit/cli/fake_daemon.hpp"

using namespace actorswarm;
using namespace actorswarm::cli;

namespace {

struct fake_swarm {
  std::map<std::string, pb::Service> services; // by id
  std::map<std::string, pb::Network> networks; // by id
  int next_id = 1;
  uint64_t index = 100;
  bool manager = true;
  std::vector<std::string> writes; // "create NAME", "update NAME", ...

  std::string new_id(const std::string& prefix) {
    return prefix + std::to_string(next_id++) + "abcdefabcdef";
  }

  pb::ControlReply handle(const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_info()) {
      r.mutable_info()->set_in_swarm(true);
      r.mutable_info()->set_is_manager(manager);
    } else if (req.has_service_list()) {
      for (auto& [id, s] : services)
        *r.add_services()->mutable_service() = s;
    } else if (req.has_network_list()) {
      for (auto& [id, n] : networks)
        *r.add_networks() = n;
    } else if (req.has_network_create()) {
      pb::Network n;
      n.set_id(new_id("net"));
      *n.mutable_spec() = req.network_create().spec();
      networks[n.id()] = n;
      writes.push_back("create network " + n.spec().name());
      r.set_text(n.id());
    } else if (req.has_service_create()) {
      pb::Service s;
      s.set_id(new_id("svc"));
      *s.mutable_spec() = stored(req.service_create().spec());
      s.mutable_meta()->set_version(++index);
      s.set_spec_version(1);
      services[s.id()] = s;
      writes.push_back("create " + s.spec().name());
      r.add_ids(s.id());
      r.set_text(s.id());
    } else if (req.has_service_update()) {
      auto& up = req.service_update();
      auto& s = services.at(up.ref());
      REQUIRE(up.version() == s.meta().version());
      *s.mutable_spec() = stored(up.spec());
      s.mutable_meta()->set_version(++index);
      s.set_spec_version(s.spec_version() + 1);
      writes.push_back("update " + s.spec().name());
      r.add_ids(s.id());
    } else if (req.has_service_remove()) {
      auto id = req.service_remove().refs(0);
      writes.push_back("remove " + services.at(id).spec().name());
      services.erase(id);
    } else if (req.has_task_list()) {
      // Every replica running: the service has converged.
      for (auto& ref : req.task_list().service_refs())
        for (uint64_t i = 1; i <= services.at(ref).spec().replicas(); ++i) {
          auto* t = r.add_tasks();
          t->set_id(ref + "-task" + std::to_string(i));
          t->set_service_id(ref);
          t->set_service_name(services.at(ref).spec().name());
          t->set_slot(i);
          t->set_node_id("node1");
          t->set_desired_state(pb::RUNNING);
          t->mutable_status()->set_state(pb::RUNNING);
        }
    } else if (req.has_network_remove()) {
      auto id = req.network_remove().refs(0);
      writes.push_back("remove network " + networks.at(id).spec().name());
      networks.erase(id);
    }
    return r;
  }

  // The control rules store network targets as ids.
  pb::ServiceSpec stored(pb::ServiceSpec spec) {
    for (auto& a : *spec.mutable_networks())
      for (auto& [id, n] : networks)
        if (n.spec().name() == a.target())
          a.set_target(id);
    return spec;
  }

  const pb::Service* by_name(const std::string& name) const {
    for (auto& [id, s] : services)
      if (s.spec().name() == name)
        return &s;
    return nullptr;
  }
};

struct stack_fixture {
  actorswarm::test::temp_dir dir{"as-stack-cli"};
  fake_swarm swarm;
  cli::test::fake_daemon d;

  stack_fixture() {
    d.on = [this](const pb::ControlRequest& req) {
      return std::vector<pb::ControlReply>{swarm.handle(req)};
    };
  }

  std::string file(const std::string& name, const std::string& text) {
    auto path = dir.path + "/" + name;
    std::ofstream{path} << text;
    return path;
  }

  int run(std::vector<std::string> args) {
    d.out.str("");
    d.err.str("");
    swarm.writes.clear();
    return d.run(std::move(args));
  }
};

const char* two_services = R"(version: "3.9"
services:
  web:
    image: host
    command: python3 -m http.server 80
    ports: ["7080:80"]
  worker:
    image: host
    command: sleep 3600
    networks: [back]
networks:
  back:
)";

const char* detach_note
  = "Since --detach=false was not specified, tasks will be created in the "
    "background.\nIn a future release, --detach=false will become the "
    "default.\n";

} // namespace

TEST_CASE_METHOD(stack_fixture,
                 "cli stack: deploy creates networks and services in "
                 "docker's words",
                 "[unit]") {
  auto f = file("stack.yml", two_services);
  REQUIRE(run({"stack", "deploy", "-c", f, "app"}) == 0);
  CHECK(d.out.str()
        == "Creating network app_back\n"
           "Creating network app_default\n"
           "Creating service app_web\n"
           "Creating service app_worker\n");
  CHECK(d.err.str() == detach_note);
  auto* web = swarm.by_name("app_web");
  REQUIRE(web != nullptr);
  CHECK(web->spec().labels().at("com.docker.stack.namespace") == "app");
  for (auto& [id, n] : swarm.networks)
    CHECK(n.spec().labels().at("com.docker.stack.namespace") == "app");
  // ls, services
  REQUIRE(run({"stack", "ls"}) == 0);
  CHECK(d.out.str() == "NAME      SERVICES\napp       2\n");
  REQUIRE(run({"stack", "services", "-q", "app"}) == 0);
  CHECK(d.out.str()
        == web->id().substr(0, 12) + "\n"
             + swarm.by_name("app_worker")->id().substr(0, 12) + "\n");
  REQUIRE(run({"stack", "services", "nope"}) == 0);
  CHECK(d.err.str() == "Nothing found in stack: nope\n");
  REQUIRE(run({"stack", "ps", "nope"}) == 1);
  CHECK(d.err.str() == "nothing found in stack: nope\n");
}

TEST_CASE_METHOD(stack_fixture,
                 "cli stack: a redeploy updates only the changed service",
                 "[unit]") {
  auto f = file("stack.yml", two_services);
  REQUIRE(run({"stack", "deploy", "-c", f, "app"}) == 0);
  // The same file again: nothing sent but reads.
  REQUIRE(run({"stack", "deploy", "--detach", "-c", f, "app"}) == 0);
  CHECK(swarm.writes.empty());
  CHECK(d.err.str().empty());
  auto web_id = swarm.by_name("app_web")->id();
  auto worker_id = swarm.by_name("app_worker")->id();
  CHECK(d.out.str()
        == "Updating service app_web (id: " + web_id
             + ")\n"
               "Updating service app_worker (id: "
             + worker_id + ")\n");
  // One change, in a second file that overrides the first.
  auto g = file("more.yml", "version: '3.9'\nservices:\n  worker:\n"
                            "    command: sleep 7200\n");
  REQUIRE(run({"stack", "deploy", "-c", f, "-c", g, "app"}) == 0);
  CHECK(swarm.writes == std::vector<std::string>{"update app_worker"});
  CHECK(swarm.by_name("app_worker")->spec_version() == 2);
  CHECK(swarm.by_name("app_web")->spec_version() == 1);
}

TEST_CASE_METHOD(stack_fixture,
                 "cli stack: --prune removes services that left the file, rm "
                 "removes everything",
                 "[unit]") {
  auto f = file("stack.yml", two_services);
  REQUIRE(run({"stack", "deploy", "-c", f, "app"}) == 0);
  auto g = file("web.yml", "version: '3.9'\nservices:\n  web:\n"
                           "    image: host\n"
                           "    command: python3 -m http.server 80\n"
                           "    ports: ['7080:80']\n");
  REQUIRE(run({"stack", "deploy", "--prune", "-c", g, "app"}) == 0);
  CHECK(swarm.writes == std::vector<std::string>{"remove app_worker"});
  CHECK(d.out.str().rfind("Removing service app_worker\n", 0) == 0);
  REQUIRE(run({"stack", "rm", "app"}) == 0);
  CHECK(d.out.str()
        == "Removing service app_web\n"
           "Removing network app_back\n"
           "Removing network app_default\n");
  CHECK(swarm.services.empty());
  CHECK(swarm.networks.empty());
  REQUIRE(run({"stack", "rm", "app"}) == 0);
  CHECK(d.err.str() == "Nothing found in stack: app\n");
}

TEST_CASE_METHOD(stack_fixture,
                 "cli stack: --detach=false waits for each service", "[unit]") {
  auto f = file("stack.yml", two_services);
  REQUIRE(run({"stack", "deploy", "--detach=false", "-q", "-c", f, "app"})
          == 0);
  CHECK(d.err.str().empty());
  int polls = 0;
  for (auto& req : d.requests)
    polls += req.has_task_list() ? 1 : 0;
  CHECK(polls >= 2);
}

TEST_CASE_METHOD(stack_fixture, "cli stack: an invalid file deploys nothing",
                 "[unit]") {
  auto f = file("bad.yml", "version: '3.9'\nservices:\n  web:\n"
                           "    image: host\n    command: x\n    foo: 1\n"
                           "    build: .\n");
  REQUIRE(run({"stack", "deploy", "-c", f, "app"}) == 1);
  CHECK(d.err.str()
        == f + ":6:5: services.web Additional property foo is not allowed\n");
  CHECK(d.requests.empty());
  auto g = file("undef.yml", "version: '3.9'\nservices:\n  web:\n"
                             "    image: host\n    command: x\n"
                             "    networks: [nope]\n    build: .\n");
  REQUIRE(run({"stack", "deploy", "-c", g, "app"}) == 1);
  CHECK(d.err.str()
        == "Ignoring unsupported options: build\n\n" + g
             + ":6:16: service web: undefined network \"nope\"\n");
  CHECK(d.requests.empty());
  REQUIRE(run({"stack", "deploy", "app"}) == 1);
  CHECK(d.err.str() == "specify a Compose file (with --compose-file)\n");
  REQUIRE(run({"stack", "deploy", "-c", g}) == 1);
  CHECK(d.err.str()
        == "\"actorswarm stack deploy\" requires exactly 1 argument.\n"
           "See 'actorswarm stack deploy --help'.\n");
  auto ok = file("ok.yml", two_services);
  REQUIRE(run({"stack", "deploy", "--resolve-image", "sometimes", "-c", ok,
               "app"})
          == 1);
  CHECK(d.err.str() == "invalid option sometimes for flag --resolve-image\n");
  swarm.manager = false;
  REQUIRE(run({"stack", "deploy", "-d", "-c", ok, "app"}) == 1);
  CHECK(d.err.str()
        == "this node is not a swarm manager. Use \"actorswarm swarm init\" "
           "or \"actorswarm swarm join\" to connect this node to swarm and "
           "try again\n");
  CHECK(swarm.services.empty());
}

TEST_CASE_METHOD(stack_fixture,
                 "cli stack: interpolation reads the CLI's environment",
                 "[unit]") {
  auto f = file("env.yml", "services:\n  web:\n    image: host\n"
                           "    command: sleep ${NAP:-1}\n");
  d.on = [this](const pb::ControlRequest& req) {
    return std::vector<pb::ControlReply>{swarm.handle(req)};
  };
  auto ctx = d.make_context();
  ctx.lookup_env = [](const std::string& k) -> std::optional<std::string> {
    if (k == "NAP")
      return std::string{"42"};
    return std::nullopt;
  };
  std::vector<const char*> argv{"actorswarm", "stack",   "deploy", "-d",
                                "-c",         f.c_str(), "e"};
  REQUIRE(cli::run(static_cast<int>(argv.size()), argv.data(), ctx) == 0);
  auto* web = swarm.by_name("e_web");
  REQUIRE(web != nullptr);
  auto& cmd = web->spec().task().container().command();
  CHECK(std::vector<std::string>(cmd.begin(), cmd.end())
        == std::vector<std::string>{"sleep", "42"});
}
