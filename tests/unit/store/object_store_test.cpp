#include "actors/store/object_store.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using store::object_store;

namespace {

pb::StoreAction create_service(const std::string& id, const std::string& name) {
  pb::StoreAction a;
  a.set_kind(pb::StoreAction::CREATE);
  a.mutable_service()->set_id(id);
  a.mutable_service()->mutable_spec()->set_name(name);
  return a;
}

pb::StoreBatch batch(std::vector<pb::StoreAction> xs, bool atomic = true) {
  pb::StoreBatch b;
  for (auto& x : xs)
    *b.add_actions() = x;
  b.set_atomic(atomic);
  b.set_proposed_at_ns(1000);
  return b;
}

pb::StoreAction task_action(pb::StoreAction::Kind k, const pb::Task& t) {
  pb::StoreAction a;
  a.set_kind(k);
  *a.mutable_task() = t;
  return a;
}

} // namespace

TEST_CASE("store: create stamps version and timestamps", "[unit]") {
  object_store st;
  auto out = st.apply(batch({create_service("s1", "web")}), 7);
  REQUIRE(out.errors.empty());
  auto svc = st.services().at("s1");
  CHECK(svc->meta().version() == 7);
  CHECK(svc->meta().created_at_ns() == 1000);
  CHECK(st.service_by_name("web") == svc);
}

TEST_CASE("store: a stale update is refused", "[unit]") {
  object_store st;
  st.apply(batch({create_service("s1", "web")}), 1);
  pb::StoreAction up;
  up.set_kind(pb::StoreAction::UPDATE);
  *up.mutable_service() = *st.services().at("s1");
  up.mutable_service()->mutable_spec()->set_replicas(3);
  auto stale = up;
  REQUIRE(st.apply(batch({up}), 2).errors.empty());
  auto out = st.apply(batch({stale}), 3);
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].code == errc::stale_version);
  CHECK(st.services().at("s1")->meta().version() == 2);
  CHECK(st.applied_index() == 3);
}

TEST_CASE("store: duplicate service names are refused", "[unit]") {
  object_store st;
  st.apply(batch({create_service("s1", "web")}), 1);
  auto out = st.apply(batch({create_service("s2", "web")}), 2);
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].code == errc::name_conflict);
  CHECK(st.services().size() == 1);
}

TEST_CASE("store: an atomic batch applies all or nothing", "[unit]") {
  object_store st;
  auto out = st.apply(batch({create_service("s1", "web"),
                             create_service("s2", "api"),
                             create_service("s3", "web")}),
                      1);
  REQUIRE(out.errors.size() == 1);
  CHECK(st.services().empty());
  CHECK(st.service_by_name("web") == nullptr);
  CHECK(out.changes->changes.empty());
}

TEST_CASE("store: a non-atomic batch applies what validates", "[unit]") {
  object_store st;
  auto out = st.apply(
    batch({create_service("s1", "web"), create_service("s2", "web")}, false),
    1);
  CHECK(out.errors.size() == 1);
  CHECK(out.applied == 1);
  CHECK(st.services().size() == 1);
}

TEST_CASE("store: task states only move forward", "[unit]") {
  object_store st;
  pb::Task t;
  t.set_id("t1");
  t.set_service_id("s1");
  t.mutable_status()->set_state(pb::RUNNING);
  st.apply(batch({task_action(pb::StoreAction::CREATE, t)}), 1);
  auto back = *st.tasks().at("t1");
  back.mutable_status()->set_state(pb::PENDING);
  auto out = st.apply(batch({task_action(pb::StoreAction::UPDATE, back)}), 2);
  REQUIRE(out.errors.size() == 1);
  CHECK(st.tasks().at("t1")->status().state() == pb::RUNNING);
  auto fwd = *st.tasks().at("t1");
  fwd.mutable_status()->set_state(pb::FAILED);
  CHECK(st.apply(batch({task_action(pb::StoreAction::UPDATE, fwd)}), 3)
          .errors.empty());
  CHECK(st.tasks_of("s1").size() == 1);
}

TEST_CASE("store: snapshot and restore round-trip, views replay changes",
          "[unit]") {
  object_store st, view;
  auto o1 = st.apply(batch({create_service("s1", "web")}), 1);
  view.apply_changes(*o1.changes);
  pb::Task t;
  t.set_id("t1");
  t.set_service_id("s1");
  auto o2 = st.apply(batch({task_action(pb::StoreAction::CREATE, t)}), 2);
  view.apply_changes(*o2.changes);
  object_store copy;
  copy.restore(st.snapshot());
  CHECK(copy.applied_index() == 2);
  CHECK(copy.tasks_of("s1").size() == 1);
  CHECK(copy.service_by_name("web") != nullptr);
  CHECK(view.tasks().size() == 1);
  CHECK(view.applied_index() == 2);
}

TEST_CASE("store: resolve by id, prefix and name", "[unit]") {
  object_store st;
  st.apply(batch({create_service("abc111", "web"),
                  create_service("abc222", "api")}),
           1);
  auto name_of = [](const pb::Service& s) { return s.spec().name(); };
  CHECK((*store::resolve(st.services(), "web", "service", name_of))->id()
        == "abc111");
  CHECK((*store::resolve(st.services(), "abc2", "service", name_of))->id()
        == "abc222");
  auto amb = store::resolve(st.services(), "abc", "service", name_of);
  REQUIRE_FALSE(amb);
  CHECK(amb.error().code == errc::ambiguous);
  auto nf = store::resolve(st.services(), "nope", "service", name_of);
  REQUIRE_FALSE(nf);
  CHECK(nf.error().message == "No such service: nope");
}

TEST_CASE("store: status-only updates ignore versions but not direction",
          "[unit]") {
  object_store st;
  pb::Task t;
  t.set_id("t1");
  t.set_service_id("s1");
  t.mutable_status()->set_state(pb::ASSIGNED);
  st.apply(batch({task_action(pb::StoreAction::CREATE, t)}), 1);
  auto desired = *st.tasks().at("t1");
  desired.set_desired_state(pb::SHUTDOWN);
  st.apply(batch({task_action(pb::StoreAction::UPDATE, desired)}), 2);
  // The reporter read version 1 and only changes the status.
  auto report = t;
  report.mutable_meta()->set_version(1);
  report.mutable_status()->set_state(pb::RUNNING);
  auto a = task_action(pb::StoreAction::UPDATE, report);
  a.set_status_only(true);
  REQUIRE(st.apply(batch({a}), 3).errors.empty());
  CHECK(st.tasks().at("t1")->status().state() == pb::RUNNING);
  CHECK(st.tasks().at("t1")->desired_state() == pb::SHUTDOWN);
  report.mutable_status()->set_state(pb::STARTING);
  auto back = task_action(pb::StoreAction::UPDATE, report);
  back.set_status_only(true);
  CHECK(st.apply(batch({back}), 4).errors.size() == 1);
}

TEST_CASE("store: diff turns a view into a restored snapshot's state",
          "[unit]") {
  // A follower's watcher saw s1 and s2; the leader's snapshot (installed
  // instead of the log) has s1 updated, s2 removed and s3 created.
  object_store before;
  REQUIRE(before
            .apply(batch({create_service("s1", "web"),
                          create_service("s2", "db")}),
                   1)
            .errors.empty());
  object_store leader = before;
  auto s1 = *leader.services().at("s1");
  s1.mutable_spec()->set_replicas(5);
  pb::StoreAction up;
  up.set_kind(pb::StoreAction::UPDATE);
  *up.mutable_service() = s1;
  pb::StoreAction rm;
  rm.set_kind(pb::StoreAction::REMOVE);
  rm.mutable_service()->set_id("s2");
  REQUIRE(leader.apply(batch({up, rm, create_service("s3", "cache")}), 9)
            .errors.empty());
  object_store after;
  after.restore(leader.snapshot());
  auto cs = store::diff(before, after);
  CHECK(cs.index == 9);
  CHECK(cs.changes.size() == 3);
  auto view = before;
  view.apply_changes(cs);
  CHECK(view.applied_index() == 9);
  REQUIRE(view.services().size() == 2);
  CHECK(view.services().at("s1")->spec().replicas() == 5);
  CHECK(view.service_by_name("cache") != nullptr);
  CHECK(view.service_by_name("db") == nullptr);
  CHECK(store::diff(after, after).changes.empty());
  // A snapshot install hands watchers the whole state too: a view takes it
  // (and ends where replaying every change ends) instead of replaying.
  cs.reset = std::make_shared<const object_store>(after);
  auto taken = before;
  taken.apply_changes(cs);
  CHECK(taken.applied_index() == 9);
  CHECK(store::diff(view, taken).changes.empty());
  CHECK(taken.service_by_name("cache") != nullptr);
  CHECK(taken.service_by_name("db") == nullptr);
  CHECK(taken.tasks_of("s1").empty());
}

TEST_CASE("store: serialize_snapshot writes what snapshot() serializes, and "
          "a moved restore equals a copied one",
          "[unit]") {
  object_store st;
  REQUIRE(st.apply(batch({create_service("s1", "web"),
                          create_service("s2", "db")}),
                   4)
            .errors.empty());
  pb::Task t;
  t.set_id("t1");
  t.set_service_id("s1");
  REQUIRE(st.apply(batch({task_action(pb::StoreAction::CREATE, t)}), 5)
            .errors.empty());
  pb::StoreSnapshot direct;
  REQUIRE(direct.ParseFromString(st.serialize_snapshot()));
  CHECK(direct.applied_index() == 5);
  CHECK(direct.services_size() == 2);
  CHECK(direct.tasks_size() == 1);
  object_store copied, moved;
  copied.restore(st.snapshot());
  moved.restore(std::move(direct));
  CHECK(moved.applied_index() == copied.applied_index());
  CHECK(moved.tasks_of("s1").size() == 1);
  CHECK(moved.service_by_name("db") != nullptr);
  CHECK(store::diff(copied, moved).changes.empty());
}

namespace {

pb::StoreAction network_action(pb::StoreAction::Kind k, const std::string& id,
                               const std::string& name) {
  pb::StoreAction a;
  a.set_kind(k);
  a.mutable_network()->set_id(id);
  a.mutable_network()->mutable_spec()->set_name(name);
  a.mutable_network()->mutable_spec()->set_driver("overlay");
  return a;
}

} // namespace

TEST_CASE("store: networks are a table with unique names, carried by "
          "snapshots and diffs",
          "[unit]") {
  object_store st;
  REQUIRE(st.apply(batch({network_action(pb::StoreAction::CREATE, "n1",
                                         "appnet")}),
                   3)
            .errors.empty());
  auto net = st.network_by_name("appnet");
  REQUIRE(net != nullptr);
  CHECK(net->id() == "n1");
  CHECK(net->meta().version() == 3);
  // A second network of the same name is refused, nothing changes.
  auto dup
    = st.apply(batch({network_action(pb::StoreAction::CREATE, "n2", "appnet")}),
               4);
  REQUIRE(dup.errors.size() == 1);
  CHECK(dup.errors[0].code == errc::name_conflict);
  CHECK(dup.errors[0].message
        == "name conflicts with an existing object: network appnet already "
           "exists");
  CHECK(st.networks().size() == 1);
  // The allocator's update (subnet, vni) keeps the name index.
  pb::StoreAction up;
  up.set_kind(pb::StoreAction::UPDATE);
  *up.mutable_network() = *net;
  up.mutable_network()->mutable_ipam()->set_subnet("10.0.1.0/24");
  up.mutable_network()->set_vni(4097);
  REQUIRE(st.apply(batch({up}), 5).errors.empty());
  CHECK(st.network_by_name("appnet")->vni() == 4097);
  // Snapshots carry networks, both ways of serializing agree.
  object_store copied, parsed;
  copied.restore(st.snapshot());
  pb::StoreSnapshot direct;
  REQUIRE(direct.ParseFromString(st.serialize_snapshot()));
  CHECK(direct.networks_size() == 1);
  parsed.restore(std::move(direct));
  CHECK(parsed.network_by_name("appnet")->ipam().subnet() == "10.0.1.0/24");
  CHECK(store::diff(copied, parsed).changes.empty());
  // A diff reports the network's changes; a remove frees the name.
  auto before = st;
  REQUIRE(st.apply(batch({network_action(pb::StoreAction::REMOVE, "n1",
                                         "appnet")}),
                   6)
            .errors.empty());
  auto cs = store::diff(before, st);
  REQUIRE(cs.changes.size() == 1);
  CHECK(cs.changes[0].kind == pb::StoreAction::REMOVE);
  CHECK(cs.changes[0].network_before->id() == "n1");
  CHECK(st.network_by_name("appnet") == nullptr);
  before.apply_changes(cs);
  CHECK(before.networks().empty());
  CHECK(st.apply(
            batch({network_action(pb::StoreAction::CREATE, "n2", "appnet")}), 7)
          .errors.empty());
}
