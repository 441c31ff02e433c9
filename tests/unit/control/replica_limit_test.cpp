// The swarm's limit on replicas per service (issue #9, defect 7): `swarm
// update --max-replicas-per-service`, checked by service create, update and
// scale.

#include <catch2/catch.hpp>

#include <random>

#include "actors/control/cluster_rules.hpp"
#include "actors/control/service_rules.hpp"
#include "messages/defaults.hpp"
#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_cluster;
using actorswarm::test::make_spec;
using actorswarm::test::now_ns;
using actorswarm::test::refusal;
using actorswarm::test::view_builder;

namespace {

const std::string limit_hint
  = "per service; raise it with `actorswarm swarm update "
    "--max-replicas-per-service N`";

// Sets the swarm's limit through `swarm update`, as the CLI does.
void set_limit(view_builder& b, uint64_t n) {
  pb::SwarmUpdateRequest req;
  req.set_set_max_replicas_per_service(true);
  req.set_max_replicas_per_service(n);
  auto d = update_swarm(b.view(), req, now_ns);
  REQUIRE(d);
  b.apply(d->batch);
}

result<write_decision> create(view_builder& b, uint64_t replicas) {
  std::mt19937_64 gen{42};
  return create_service(b.view(), make_spec("web", replicas), gen, now_ns);
}

result<write_decision> scale(view_builder& b, uint64_t replicas) {
  pb::ServiceScaleRequest req;
  req.set_ref("web");
  req.set_replicas(replicas);
  return scale_service(b.view(), req, now_ns);
}

} // namespace

TEST_CASE("control rules: a service may have at most 100000 replicas by "
          "default",
          "[unit]") {
  view_builder b;
  b.add(make_cluster()); // a cluster from before the setting: 0
  CHECK(max_replicas_per_service(b.view()) == 100'000);
  CHECK(cluster_defaults::max_replicas_per_service == 100'000);
  CHECK(create(b, 100'000));
  auto d = create(b, 1'000'000'000);
  CHECK(refusal(d).code == errc::invalid_spec);
  CHECK(refusal(d).message
        == "replicas 1000000000 exceed this swarm's limit of 100000 "
             + limit_hint);
  view_builder none; // no cluster in the view: the default too
  CHECK(max_replicas_per_service(none.view()) == 100'000);
}

TEST_CASE("control rules: swarm update --max-replicas-per-service changes the "
          "limit of create, update and scale",
          "[unit]") {
  view_builder b;
  b.add(make_cluster());
  set_limit(b, 5);
  CHECK(b.view().cluster()->spec().max_replicas_per_service() == 5);
  CHECK(max_replicas_per_service(b.view()) == 5);
  CHECK(refusal(create(b, 6)).message
        == "replicas 6 exceed this swarm's limit of 5 " + limit_hint);
  auto ok = create(b, 5);
  REQUIRE(ok);
  b.apply(ok->batch);
  CHECK(refusal(scale(b, 6)).code == errc::invalid_spec);
  CHECK(scale(b, 4));
  pb::ServiceUpdateRequest up;
  up.set_ref("web");
  *up.mutable_spec() = make_spec("web", 7);
  CHECK(refusal(update_service(b.view(), up, now_ns)).message
        == "replicas 7 exceed this swarm's limit of 5 " + limit_hint);
  SECTION("a lowered limit keeps a service's count and lets it shrink, but "
          "refuses growth") {
    set_limit(b, 2);
    *up.mutable_spec() = make_spec("web", 5);
    up.mutable_spec()->mutable_labels()->insert({"tier", "front"});
    CHECK(update_service(b.view(), up, now_ns));
    CHECK(scale(b, 5));
    CHECK(refusal(scale(b, 6)).message
          == "replicas 6 exceed this swarm's limit of 2 " + limit_hint);
    CHECK(scale(b, 3));
    CHECK(scale(b, 2));
  }
}

TEST_CASE("control rules: --max-replicas-per-service 0 is refused", "[unit]") {
  view_builder b;
  b.add(make_cluster());
  pb::SwarmUpdateRequest req;
  req.set_set_max_replicas_per_service(true);
  req.set_max_replicas_per_service(0);
  auto d = update_swarm(b.view(), req, now_ns);
  CHECK(refusal(d).code == errc::invalid_spec);
  CHECK(refusal(d).message == "max-replicas-per-service must be at least 1");
}
