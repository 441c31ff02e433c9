#include "actors/control/service_rules.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <set>

#include "messages/ids.hpp"
#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_spec;
using actorswarm::test::make_task;
using actorswarm::test::now_ns;
using actorswarm::test::refusal;
using actorswarm::test::view_builder;

namespace {

struct spec_case {
  const char* what;
  std::function<void(pb::ServiceSpec&)> edit;
  errc code;
  std::string message; // empty: any message
};

pb::ContainerSpec& container(pb::ServiceSpec& s) {
  return *s.mutable_task()->mutable_container();
}

pb::ServiceSpec global_spec(const std::string& name) {
  auto s = make_spec(name, 0);
  s.set_mode(pb::ServiceSpec::GLOBAL);
  return s;
}

std::mt19937_64 seeded() {
  return std::mt19937_64{42};
}

// A view holding service `web` (id s1, 3 replicas) and `api` (id s2).
view_builder web_and_api() {
  view_builder b;
  b.add(test::make_service("s1", make_spec("web", 3)));
  b.add(test::make_service("s2", make_spec("api", 1)));
  return b;
}

} // namespace

TEST_CASE("control rules: validate_service_spec refuses what docker refuses",
          "[unit]") {
  std::vector<spec_case> cases = {
    {"no image", [](auto& s) { container(s).clear_image(); },
     errc::invalid_spec, "service create requires an image (use \"host\")"},
    {"a container image", [](auto& s) { container(s).set_image("nginx:1"); },
     errc::unsupported_image,
     "image \"nginx:1\" cannot run: this node has no container runtime yet; "
     "use the image \"host\" to run a host process"},
    {"host without command", [](auto& s) { container(s).clear_command(); },
     errc::invalid_spec,
     "the host image needs a command to run, e.g. \"host sleep 3600\""},
    {"name starting with a dash", [](auto& s) { s.set_name("-web"); },
     errc::invalid_spec,
     "invalid name \"-web\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, up "
     "to 63 characters"},
    {"name with a space", [](auto& s) { s.set_name("a b"); },
     errc::invalid_spec, ""},
    {"name of 64 characters", [](auto& s) { s.set_name(std::string(64, 'a')); },
     errc::invalid_spec, ""},
    {"replicas in global mode",
     [](auto& s) {
       s.set_mode(pb::ServiceSpec::GLOBAL);
       s.set_replicas(2);
     },
     errc::invalid_spec, "replicas can only be used with replicated mode"},
    {"negative stop grace period",
     [](auto& s) { container(s).set_stop_grace_period_ns(-1); },
     errc::invalid_spec, "stop-grace-period cannot be negative"},
    {"empty env entry", [](auto& s) { container(s).add_env(""); },
     errc::invalid_spec, "invalid environment variable \"\""},
    {"env entry without key", [](auto& s) { container(s).add_env("=x"); },
     errc::invalid_spec, "invalid environment variable \"=x\""},
    {"negative cpu limit",
     [](auto& s) {
       s.mutable_task()->mutable_resources()->mutable_limits()->set_nano_cpus(
         -1);
     },
     errc::invalid_spec, "resources must not be negative"},
    {"negative memory reservation",
     [](auto& s) {
       s.mutable_task()
         ->mutable_resources()
         ->mutable_reservations()
         ->set_memory_bytes(-1);
     },
     errc::invalid_spec, "resources must not be negative"},
    {"memory limit under 6MB",
     [](auto& s) {
       s.mutable_task()
         ->mutable_resources()
         ->mutable_limits()
         ->set_memory_bytes(6 * 1024 * 1024 - 1);
     },
     errc::invalid_spec, "minimum memory limit allowed is 6MB"},
    {"negative restart delay",
     [](auto& s) { s.mutable_task()->mutable_restart()->set_delay_ns(-1); },
     errc::invalid_spec, "restart-delay cannot be negative"},
    {"negative restart window",
     [](auto& s) { s.mutable_task()->mutable_restart()->set_window_ns(-1); },
     errc::invalid_spec, "restart-window cannot be negative"},
    {"malformed constraint",
     [](auto& s) {
       s.mutable_task()->mutable_placement()->add_constraints("node.role");
     },
     errc::invalid_spec, ""},
    {"spread on something other than labels",
     [](auto& s) {
       s.mutable_task()->mutable_placement()->add_spread_preferences("node.id");
     },
     errc::invalid_spec,
     "invalid placement preference \"spread=node.id\": the descriptor must "
     "start with node.labels. or engine.labels."},
    {"unknown capability to add",
     [](auto& s) { container(s).add_capability_add("net_admn"); },
     errc::invalid_spec, "unknown capability: \"CAP_NET_ADMN\""},
    {"unknown capability to drop",
     [](auto& s) {
       container(s).add_capability_drop("CHOWN");
       container(s).add_capability_drop("CAP_FOO");
     },
     errc::invalid_spec, "unknown capability: \"CAP_FOO\""},
    {"RESET outside an update",
     [](auto& s) { container(s).add_capability_add("reset"); },
     errc::invalid_spec, "unknown capability: \"RESET\""},
    {"user with an empty group",
     [](auto& s) { container(s).set_user("1000:"); }, errc::invalid_spec,
     "invalid user \"1000:\": the format is UID[:GID] or NAME[:GROUP]"},
    {"user with a space", [](auto& s) { container(s).set_user("a b"); },
     errc::invalid_spec, ""},
    {"uid out of range", [](auto& s) { container(s).set_user("4294967296"); },
     errc::invalid_spec,
     "invalid user \"4294967296\": uids and gids must be in range "
     "0-2147483647"},
  };
  for (auto& c : cases) {
    INFO(c.what);
    auto spec = make_spec("web", 1);
    c.edit(spec);
    auto r = validate_service_spec(spec);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == c.code);
    if (!c.message.empty())
      CHECK(r.error().message == c.message);
  }
}

TEST_CASE("control rules: validate_service_spec accepts the edges", "[unit]") {
  std::vector<std::pair<const char*, std::function<void(pb::ServiceSpec&)>>>
    cases = {
      {"the test spec", [](auto&) {}},
      {"no name (a random one comes later)", [](auto& s) { s.clear_name(); }},
      {"name of 63 characters",
       [](auto& s) { s.set_name("a" + std::string(62, '-')); }},
      {"name with . _ -", [](auto& s) { s.set_name("my.web_app-2"); }},
      {"global without replicas",
       [](auto& s) {
         s.set_mode(pb::ServiceSpec::GLOBAL);
         s.set_replicas(0);
       }},
      {"memory limit of exactly 6MB",
       [](auto& s) {
         s.mutable_task()
           ->mutable_resources()
           ->mutable_limits()
           ->set_memory_bytes(6 * 1024 * 1024);
       }},
      {"env with empty value", [](auto& s) { container(s).add_env("A="); }},
      {"a valid constraint",
       [](auto& s) {
         s.mutable_task()->mutable_placement()->add_constraints(
           "node.role==manager");
       }},
      {"a user by uid, by name, with a group",
       [](auto& s) { container(s).set_user("nobody:nogroup"); }},
      {"capabilities in any case, with or without CAP_, and ALL",
       [](auto& s) {
         container(s).add_capability_add("net_admin");
         container(s).add_capability_drop("ALL");
       }},
      {"spread on node and engine labels",
       [](auto& s) {
         auto& pl = *s.mutable_task()->mutable_placement();
         pl.add_spread_preferences("node.labels.zone");
         pl.add_spread_preferences("engine.labels.rack");
       }},
    };
  for (auto& [what, edit] : cases) {
    INFO(what);
    auto spec = make_spec("web", 1);
    edit(spec);
    auto r = validate_service_spec(spec);
    CHECK(refusal(r).message == "");
  }
}

TEST_CASE("control rules: capability lists are stored normalized, each "
          "name once, ALL alone",
          "[unit]") {
  auto spec = make_spec("web", 1);
  auto& c = container(spec);
  for (auto x : {"net_admin", " CAP_NET_ADMIN", "sys_time"})
    c.add_capability_add(x);
  for (auto x : {"kill", "all", "chown"})
    c.add_capability_drop(x);
  c.set_user("65534:65534");
  REQUIRE(validate_service_spec(spec));
  CHECK(std::vector<std::string>(c.capability_add().begin(),
                                 c.capability_add().end())
        == std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_TIME"});
  CHECK(std::vector<std::string>(c.capability_drop().begin(),
                                 c.capability_drop().end())
        == std::vector<std::string>{"ALL"});
  CHECK(c.user() == "65534:65534");
}

TEST_CASE("control rules: service create and update refuse a bad user or "
          "capability and store nothing",
          "[unit]") {
  auto b = web_and_api();
  auto gen = seeded();
  auto spec = make_spec("new", 1);
  container(spec).add_capability_add("CAP_NOPE");
  auto d = create_service(b.view(), spec, gen, now_ns);
  REQUIRE_FALSE(d);
  CHECK(d.error().message == "unknown capability: \"CAP_NOPE\"");
  pb::ServiceUpdateRequest req;
  req.set_ref("web");
  *req.mutable_spec() = make_spec("web", 3);
  container(*req.mutable_spec()).set_user("a:b:c");
  auto u = update_service(b.view(), req, now_ns);
  REQUIRE_FALSE(u);
  CHECK(u.error().code == errc::invalid_spec);
  CHECK(u.error().message
        == "invalid user \"a:b:c\": the format is UID[:GID] or NAME[:GROUP]");
  // The refusal is a decision without a batch: the view keeps what it had.
  CHECK(b.view().services().size() == 2);
  CHECK((*find_service(b.view(), "web"))->spec().task().container().user()
        == "");
}

TEST_CASE("control rules: make_service gives an id, a name and version 1",
          "[unit]") {
  auto gen = seeded();
  auto named = make_service(make_spec("web", 2), gen);
  CHECK(is_id(named.id()));
  CHECK(named.spec().name() == "web");
  CHECK(named.spec_version() == 1);
  auto unnamed_spec = make_spec("", 2);
  auto unnamed = make_service(unnamed_spec, gen);
  CHECK(unnamed.id() != named.id());
  CHECK_FALSE(unnamed.spec().name().empty());
  CHECK(unnamed.spec().name().find('_') != std::string::npos);
  // Same seed, same service: logic draws only from the generator it is given.
  auto again = seeded();
  CHECK(make_service(make_spec("web", 2), again).id() == named.id());
}

TEST_CASE("control rules: random service names are adjective_scientist",
          "[unit]") {
  auto gen = seeded();
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto name = random_service_name(gen);
    auto sep = name.find('_');
    REQUIRE(sep != std::string::npos);
    CHECK(sep > 0);
    CHECK(sep + 1 < name.size());
    auto spec = make_spec(name, 1);
    CHECK(validate_service_spec(spec));
    seen.insert(name);
  }
  CHECK(seen.size() > 10);
}

TEST_CASE("control rules: service create proposes one atomic CREATE",
          "[unit]") {
  view_builder b;
  auto gen = seeded();
  auto d = create_service(b.view(), make_spec("web", 3), gen, now_ns);
  REQUIRE(d);
  CHECK(d->batch.atomic());
  CHECK(d->batch.proposed_at_ns() == now_ns);
  REQUIRE(d->batch.actions_size() == 1);
  auto& a = d->batch.actions(0);
  CHECK(a.kind() == pb::StoreAction::CREATE);
  CHECK(a.service().spec().name() == "web");
  CHECK(a.service().spec().replicas() == 3);
  CHECK(a.service().spec_version() == 1);
  CHECK(d->ok.text() == a.service().id());
  REQUIRE(d->ok.ids_size() == 1);
  CHECK(d->ok.ids(0) == a.service().id());
  // The store accepts what the rules decided.
  b.apply(d->batch);
  CHECK(b.view().service_by_name("web"));
}

TEST_CASE("control rules: service create refuses a taken name in docker's "
          "words",
          "[unit]") {
  auto b = web_and_api();
  auto gen = seeded();
  auto d = create_service(b.view(), make_spec("web", 1), gen, now_ns);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == errc::name_conflict);
  CHECK(d.error().message
        == "rpc error: code = AlreadyExists desc = name conflicts with an "
           "existing object: service web already exists");
  // A new name is fine.
  CHECK(create_service(b.view(), make_spec("web2", 1), gen, now_ns));
}

TEST_CASE("control rules: service create refuses a bad spec before anything "
          "else",
          "[unit]") {
  auto b = web_and_api();
  auto gen = seeded();
  auto spec = make_spec("web", 1);
  container(spec).set_image("redis");
  auto d = create_service(b.view(), spec, gen, now_ns);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == errc::unsupported_image);
}

TEST_CASE("control rules: service update replaces the spec, keeps the old "
          "one and bumps the spec version",
          "[unit]") {
  auto b = web_and_api();
  auto before = b.view().services().at("s1");
  pb::ServiceUpdateRequest req;
  req.set_ref("web");
  *req.mutable_spec() = make_spec("web", 5);
  auto d = update_service(b.view(), req, now_ns);
  REQUIRE(d);
  REQUIRE(d->batch.actions_size() == 1);
  auto& a = d->batch.actions(0);
  CHECK(a.kind() == pb::StoreAction::UPDATE);
  CHECK(a.service().id() == "s1");
  CHECK(a.service().spec().replicas() == 5);
  CHECK(a.service().previous_spec().replicas() == 3);
  CHECK(a.service().spec_version() == before->spec_version() + 1);
  // No version named: the stored one, so the store takes it as current.
  CHECK(a.service().meta().version() == before->meta().version());
  CHECK(d->ok.text() == "web");
  REQUIRE(d->ok.ids_size() == 1);
  CHECK(d->ok.ids(0) == "s1");
  b.apply(d->batch);
  CHECK(b.view().services().at("s1")->spec().replicas() == 5);
}

TEST_CASE("control rules: an update read at an older version is refused as "
          "stale by the store",
          "[unit]") {
  auto b = web_and_api();
  auto read_at = b.view().services().at("s1")->meta().version();
  // Someone else changes web after the CLI read it.
  pb::ServiceScaleRequest scale;
  scale.set_ref("web");
  scale.set_replicas(7);
  b.apply(scale_service(b.view(), scale, now_ns)->batch);
  pb::ServiceUpdateRequest req;
  req.set_ref("web");
  req.set_version(read_at);
  *req.mutable_spec() = make_spec("web", 5);
  auto d = update_service(b.view(), req, now_ns);
  REQUIRE(d);
  CHECK(d->batch.actions(0).service().meta().version() == read_at);
  auto out = b.try_apply(d->batch);
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].code == errc::stale_version);
  CHECK(b.view().services().at("s1")->spec().replicas() == 7);
  // Read again, at the current version: accepted.
  req.set_version(b.view().services().at("s1")->meta().version());
  b.apply(update_service(b.view(), req, now_ns)->batch);
  CHECK(b.view().services().at("s1")->spec().replicas() == 5);
}

TEST_CASE("control rules: service update refusals", "[unit]") {
  auto b = web_and_api();
  pb::ServiceUpdateRequest req;
  *req.mutable_spec() = make_spec("web", 1);
  SECTION("an unknown service") {
    req.set_ref("nope");
    auto d = update_service(b.view(), req, now_ns);
    CHECK(refusal(d).code == errc::not_found);
    CHECK(refusal(d).message == "No such service: nope");
  }
  SECTION("an invalid new spec") {
    req.set_ref("web");
    container(*req.mutable_spec()).clear_command();
    CHECK(refusal(update_service(b.view(), req, now_ns)).code
          == errc::invalid_spec);
  }
  SECTION("a rename onto another service's name: the store refuses it") {
    req.set_ref("web");
    req.mutable_spec()->set_name("api");
    auto d = update_service(b.view(), req, now_ns);
    REQUIRE(d);
    auto out = b.try_apply(d->batch);
    REQUIRE(out.errors.size() == 1);
    CHECK(out.errors[0].code == errc::name_conflict);
    CHECK(out.errors[0].message
          == "name conflicts with an existing object: service api already "
             "exists");
  }
}

TEST_CASE("control rules: service scale sets replicas of a replicated "
          "service",
          "[unit]") {
  auto b = web_and_api();
  pb::ServiceScaleRequest req;
  req.set_ref("s1");
  req.set_replicas(0);
  auto d = scale_service(b.view(), req, now_ns);
  REQUIRE(d);
  auto& svc = d->batch.actions(0).service();
  CHECK(svc.spec().replicas() == 0);
  CHECK(svc.spec_version() == 2);
  CHECK_FALSE(svc.has_previous_spec());
  CHECK(d->ok.text() == "web");
}

TEST_CASE("control rules: service scale refuses a global service and an "
          "unknown one",
          "[unit]") {
  view_builder b;
  b.add(test::make_service("g1", global_spec("agent")));
  pb::ServiceScaleRequest req;
  req.set_ref("agent");
  req.set_replicas(3);
  auto d = scale_service(b.view(), req, now_ns);
  CHECK(refusal(d).code == errc::invalid_spec);
  CHECK(refusal(d).message == "scale can only be used with replicated mode");
  req.set_ref("nope");
  CHECK(refusal(scale_service(b.view(), req, now_ns)).code == errc::not_found);
}

TEST_CASE("control rules: service rm removes all named services in one "
          "atomic batch, or none",
          "[unit]") {
  auto b = web_and_api();
  pb::ServiceRemoveRequest req;
  req.add_refs("web");
  req.add_refs("s2");
  auto d = remove_services(b.view(), req, now_ns);
  REQUIRE(d);
  CHECK(d->batch.atomic());
  CHECK(d->batch.proposed_at_ns() == now_ns);
  REQUIRE(d->batch.actions_size() == 2);
  CHECK(d->batch.actions(0).kind() == pb::StoreAction::REMOVE);
  CHECK(d->batch.actions(0).service().id() == "s1");
  CHECK(d->batch.actions(1).service().id() == "s2");
  CHECK(std::vector<std::string>(d->ok.ids().begin(), d->ok.ids().end())
        == std::vector<std::string>{"web", "s2"});
  req.add_refs("nope");
  auto none = remove_services(b.view(), req, now_ns);
  CHECK(refusal(none).code == errc::not_found);
  CHECK(refusal(none).message == "No such service: nope");
}

TEST_CASE("control rules: service references resolve as docker's do",
          "[unit]") {
  view_builder b;
  b.add(test::make_service("abc111", make_spec("web", 1)));
  b.add(test::make_service("abc222", make_spec("api", 1)));
  b.add(test::make_service("xyz333", make_spec("abc", 1)));
  struct ref_case {
    std::string ref;
    std::string id;      // the match, or empty
    errc code;           // when no match
    std::string message; // when no match
  };
  std::vector<ref_case> cases = {
    {"abc111", "abc111", errc::none, ""},
    {"web", "abc111", errc::none, ""},
    {"abc2", "abc222", errc::none, ""},
    // A name wins over an id prefix.
    {"abc", "xyz333", errc::none, ""},
    {"ab", "", errc::ambiguous, "service ab is ambiguous (2 matches found)"},
    {"nope", "", errc::not_found, "No such service: nope"},
    {"", "", errc::invalid_spec, "service reference is empty"},
  };
  for (auto& c : cases) {
    INFO("ref: " << c.ref);
    auto r = find_service(b.view(), c.ref);
    if (c.id.empty()) {
      REQUIRE_FALSE(r);
      CHECK(r.error().code == c.code);
      CHECK(r.error().message == c.message);
    } else {
      REQUIRE(r);
      CHECK((*r)->id() == c.id);
    }
  }
}

TEST_CASE("control rules: service ls counts running and desired tasks",
          "[unit]") {
  view_builder b;
  auto web = test::make_service("s1", make_spec("web", 3));
  auto agent = test::make_service("s2", global_spec("agent"));
  b.add(web).add(agent);
  b.add(make_task("t1", web, 1, "n1", pb::RUNNING));
  b.add(make_task("t2", web, 2, "n1", pb::STARTING));
  auto old = make_task("t3", web, 3, "n1", pb::RUNNING);
  old.set_desired_state(pb::SHUTDOWN); // being replaced: not counted
  b.add(old);
  b.add(make_task("t4", agent, 0, "n1", pb::RUNNING));
  b.add(make_task("t5", agent, 0, "n2", pb::PENDING));
  auto out = list_services(b.view());
  REQUIRE(out.services_size() == 2);
  // Ordered by name.
  CHECK(out.services(0).service().spec().name() == "agent");
  CHECK(out.services(0).running() == 1);
  CHECK(out.services(0).desired() == 2); // global: tasks desired to run
  CHECK(out.services(1).service().spec().name() == "web");
  CHECK(out.services(1).running() == 1);
  CHECK(out.services(1).desired() == 3); // replicated: the replicas
}

TEST_CASE("control rules: service inspect answers in order or names the "
          "missing one",
          "[unit]") {
  auto b = web_and_api();
  pb::ServiceInspectRequest req;
  req.add_refs("api");
  req.add_refs("web");
  auto r = inspect_services(b.view(), req);
  REQUIRE(r);
  REQUIRE(r->services_size() == 2);
  CHECK(r->services(0).service().id() == "s2");
  CHECK(r->services(1).service().id() == "s1");
  req.add_refs("nope");
  CHECK(refusal(inspect_services(b.view(), req)).message
        == "No such service: nope");
}

TEST_CASE("control rules: a service update that changes its tasks starts a "
          "rolling update, one that does not clears the status",
          "[unit]") {
  auto b = web_and_api();
  pb::ServiceUpdateRequest req;
  req.set_ref("web");
  *req.mutable_spec() = make_spec("web", 3);
  container(*req.mutable_spec()).add_env("V=2");
  auto d = update_service(b.view(), req, now_ns);
  REQUIRE(d);
  auto& us = d->batch.actions(0).service().update_status();
  CHECK(us.state() == pb::UpdateStatus::UPDATING);
  CHECK(us.message() == "update in progress");
  CHECK(us.started_at_ns() == now_ns);
  b.apply(d->batch);
  // Labels and replicas only: no task changes, SwarmKit clears the status.
  req.mutable_spec()->set_replicas(4);
  (*req.mutable_spec()->mutable_labels())["a"] = "b";
  d = update_service(b.view(), req, now_ns);
  REQUIRE(d);
  CHECK_FALSE(d->batch.actions(0).service().has_update_status());
  // --force alone (force_update one up) is a change of the tasks.
  b.apply(d->batch);
  req.mutable_spec()->mutable_task()->set_force_update(1);
  d = update_service(b.view(), req, now_ns);
  REQUIRE(d);
  CHECK(d->batch.actions(0).service().update_status().state()
        == pb::UpdateStatus::UPDATING);
}

TEST_CASE("control rules: service rollback swaps spec and previous spec and "
          "starts a rollback",
          "[unit]") {
  auto b = web_and_api();
  pb::ServiceUpdateRequest req;
  req.set_ref("web");
  *req.mutable_spec() = make_spec("web", 5);
  b.apply(update_service(b.view(), req, now_ns)->batch);
  auto before = *b.view().services().at("s1");
  pb::ServiceUpdateRequest back;
  back.set_ref("web");
  back.set_rollback(true);
  auto d = update_service(b.view(), back, now_ns + 7);
  REQUIRE(d);
  auto& s = d->batch.actions(0).service();
  CHECK(s.spec().replicas() == 3);
  CHECK(s.previous_spec().replicas() == 5);
  CHECK(s.spec_version() == before.spec_version() + 1);
  CHECK(s.update_status().state() == pb::UpdateStatus::ROLLBACK_STARTED);
  CHECK(s.update_status().message() == "manually requested rollback");
  CHECK(s.update_status().started_at_ns() == now_ns + 7);
  CHECK(d->ok.text() == "web");
  b.apply(d->batch);
  // Rolling back again goes forward again.
  d = update_service(b.view(), back, now_ns);
  REQUIRE(d);
  CHECK(d->batch.actions(0).service().spec().replicas() == 5);
}

TEST_CASE("control rules: service rollback without a previous spec is "
          "refused with SwarmKit's text and stores nothing",
          "[unit]") {
  auto b = web_and_api();
  pb::ServiceUpdateRequest back;
  back.set_ref("api");
  back.set_rollback(true);
  auto d = update_service(b.view(), back, now_ns);
  CHECK(refusal(d).code == errc::refused);
  CHECK(refusal(d).message
        == "rpc error: code = FailedPrecondition desc = service s2 does not "
           "have a previous spec");
}

TEST_CASE("control rules: bad update and rollback configs are refused by "
          "create and update",
          "[unit]") {
  auto b = web_and_api();
  auto gen = seeded();
  auto spec = make_spec("new", 1);
  spec.mutable_update()->set_monitor_ns(-1);
  auto c = create_service(b.view(), spec, gen, now_ns);
  CHECK(refusal(c).code == errc::invalid_spec);
  CHECK(refusal(c).message
        == "rpc error: code = InvalidArgument desc = TaskSpec: "
           "update-monitor cannot be negative");
  pb::ServiceUpdateRequest req;
  req.set_ref("web");
  *req.mutable_spec() = make_spec("web", 3);
  req.mutable_spec()->mutable_rollback()->set_max_failure_ratio(2);
  auto d = update_service(b.view(), req, now_ns);
  CHECK(refusal(d).message
        == "rpc error: code = InvalidArgument desc = TaskSpec: "
           "rollback-maxfailureratio cannot be less than 0 or bigger than 1");
}
