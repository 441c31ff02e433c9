#include "actors/control/control_actor.hpp"

#include "actor/store_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;

namespace {

// Stands in for the node actor: `info` gets the node's identity, other
// membership requests a reply that says who answered.
caf::behavior fake_node() {
  return {
    [](control_atom, const pb::ControlRequest& req) {
      pb::ControlReply r;
      if (req.has_info()) {
        r.mutable_info()->set_node_id("n1");
        r.mutable_info()->set_in_swarm(true);
      } else {
        r.set_text("node actor");
      }
      return r;
    },
  };
}

struct control_fixture : store_fixture {
  control::control_actor_type control;

  control_fixture() {
    spawn_store();
    auto node = track(sys.spawn(fake_node));
    control = track(control::spawn_control(
      sys, caf::actor_cast<control::requests_actor_type>(node), clk));
    drain();
  }

  // What the node actor does once the manager components run.
  void make_manager() {
    caf::anon_send(control, manager_atom::value, store, std::string{"n1"});
    drain();
  }

  pb::ControlReply call(const pb::ControlRequest& req) {
    return ask_ok<pb::ControlReply>(control, control_atom::value, req);
  }

  static pb::ControlRequest create(const std::string& name,
                                   const std::string& image = "host") {
    pb::ControlRequest req;
    auto& spec = *req.mutable_service_create()->mutable_spec();
    spec = make_spec(name, 3);
    spec.mutable_task()->mutable_container()->set_image(image);
    return req;
  }
};

std::vector<pb::ControlRequest> some_requests() {
  std::vector<pb::ControlRequest> xs(5);
  xs[0] = control_fixture::create("web");
  xs[1].mutable_service_list();
  xs[2].mutable_node_list();
  xs[3].mutable_task_list();
  xs[4].mutable_service_scale()->set_ref("web");
  return xs;
}

} // namespace

TEST_CASE_METHOD(control_fixture,
                 "control: before manager_atom every request answers "
                 "\"not a swarm manager\"",
                 "[actor]") {
  auto last = log.last_index();
  for (auto& req : some_requests()) {
    INFO("request: " << req.ShortDebugString());
    auto r = call(req);
    CHECK(r.code() == static_cast<uint32_t>(errc::not_in_swarm));
    CHECK_THAT(r.error(), Catch::Contains("not a swarm manager"));
  }
  CHECK(log.last_index() == last);
}

TEST_CASE_METHOD(control_fixture, "control: service create lands in the store",
                 "[actor]") {
  make_manager();
  auto r = call(create("web"));
  INFO("error: " << r.error());
  REQUIRE(r.code() == 0);
  REQUIRE(r.ids_size() == 1);
  auto v = view();
  auto svc = v->service_by_name("web");
  REQUIRE(svc);
  CHECK(svc->id() == r.ids(0));
  CHECK(svc->spec().replicas() == 3);
  CHECK(svc->spec().task().container().image() == "host");
  // The control actor's own view follows the store: service ls shows it.
  pb::ControlRequest ls;
  ls.mutable_service_list();
  CHECK(call(ls).services_size() == 1);
}

TEST_CASE_METHOD(control_fixture,
                 "control: a duplicate service name is refused", "[actor]") {
  make_manager();
  REQUIRE(call(create("web")).code() == 0);
  auto last = log.last_index();
  auto r = call(create("web"));
  CHECK(r.code() == static_cast<uint32_t>(errc::name_conflict));
  CHECK_THAT(r.error(), Catch::Contains("already exists"));
  CHECK(log.last_index() == last);
  CHECK(view()->services().size() == 1);
}

TEST_CASE_METHOD(control_fixture,
                 "control: two creates of one name in one round store one "
                 "service",
                 "[actor]") {
  make_manager();
  // Both pass the view check (neither is stored yet); the store refuses the
  // second.
  auto h1 = self->request(control, caf::infinite, control_atom::value,
                          create("web"));
  auto h2 = self->request(control, caf::infinite, control_atom::value,
                          create("web"));
  drain();
  std::vector<uint32_t> codes;
  for (auto* h : {&h1, &h2})
    h->receive([&](pb::ControlReply& r) { codes.push_back(r.code()); },
               [&](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(codes
        == std::vector<uint32_t>{0,
                                 static_cast<uint32_t>(errc::name_conflict)});
  CHECK(view()->services().size() == 1);
}

TEST_CASE_METHOD(control_fixture,
                 "control: an unsupported image is refused and nothing stored",
                 "[actor]") {
  make_manager();
  auto last = log.last_index();
  auto r = call(create("web", "nginx:latest"));
  CHECK(r.code() == static_cast<uint32_t>(errc::unsupported_image));
  CHECK_THAT(r.error(), Catch::Contains("host"));
  CHECK(log.last_index() == last);
  CHECK(view()->services().empty());
}

TEST_CASE_METHOD(control_fixture,
                 "control: membership requests go to the node actor, info "
                 "gets the view's counts under the node's identity",
                 "[actor]") {
  pb::ControlRequest leave;
  leave.mutable_swarm_leave();
  // Before the node is a manager too: the node actor owns membership.
  CHECK(call(leave).text() == "node actor");
  make_manager();
  REQUIRE(call(create("web")).code() == 0);
  REQUIRE(call(create("api")).code() == 0);
  pb::ControlRequest info;
  info.mutable_info();
  auto r = call(info);
  CHECK(r.code() == 0);
  CHECK(r.info().node_id() == "n1");
  CHECK(r.info().in_swarm());
  CHECK(r.info().services() == 2);
  CHECK(call(leave).text() == "node actor");
}

TEST_CASE_METHOD(control_fixture,
                 "control: once the node left its swarm, requests answer "
                 "\"not a swarm manager\" again",
                 "[actor]") {
  make_manager();
  REQUIRE(call(create("web")).code() == 0);
  pb::ControlRequest ls;
  ls.mutable_service_list();
  REQUIRE(call(ls).services_size() == 1);
  caf::anon_send(control, manager_atom::value, store::store_actor_type{},
                 std::string{});
  drain();
  auto r = call(ls);
  CHECK(r.code() == static_cast<uint32_t>(errc::not_in_swarm));
  CHECK(r.services_size() == 0);
}
