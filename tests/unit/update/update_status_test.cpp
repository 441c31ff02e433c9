#include "actors/update/update_status.hpp"

#include "unit/orchestrator/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::update;
using orchestrator::test::make_service;

namespace {

pb::Service updated_service() {
  auto s = make_service("s1", 3);
  *s.mutable_previous_spec() = s.spec();
  s.mutable_spec()->mutable_task()->mutable_container()->add_env("V=2");
  s.set_spec_version(2);
  *s.mutable_update_status() = updating_status(100);
  return s;
}

} // namespace

TEST_CASE("update status: an update starts UPDATING and completes COMPLETED "
          "with SwarmKit's messages",
          "[unit]") {
  auto s = start_update(make_service("s1", 1), 100);
  CHECK(s.update_status().state() == pb::UpdateStatus::UPDATING);
  CHECK(s.update_status().message() == "update in progress");
  CHECK(s.update_status().started_at_ns() == 100);
  CHECK(in_progress(s.update_status()));
  auto done = complete_update(s, 200);
  CHECK(done.update_status().state() == pb::UpdateStatus::COMPLETED);
  CHECK(done.update_status().message() == "update completed");
  CHECK(done.update_status().started_at_ns() == 100);
  CHECK(done.update_status().completed_at_ns() == 200);
  CHECK_FALSE(in_progress(done.update_status()));
}

TEST_CASE("update status: pause says which task ended and keeps rollbacks "
          "apart",
          "[unit]") {
  auto s = pause_update(updated_service(), paused_message("t1", false));
  CHECK(s.update_status().state() == pb::UpdateStatus::PAUSED);
  CHECK(s.update_status().message()
        == "update paused due to failure or early termination of task t1");
  CHECK(paused(s.update_status()));
  auto r = updated_service();
  r.mutable_update_status()->set_state(pb::UpdateStatus::ROLLBACK_STARTED);
  auto p = pause_update(r, paused_message("t2", true));
  CHECK(p.update_status().state() == pb::UpdateStatus::ROLLBACK_PAUSED);
  CHECK(p.update_status().message()
        == "rollback paused due to failure or early termination of task t2");
}

TEST_CASE("update status: the failure action rollback restores the previous "
          "spec, clears it and moves the spec_version on",
          "[unit]") {
  auto s = updated_service();
  auto r = rollback_update(s, rolled_back_message("t9"));
  REQUIRE(r);
  CHECK(r->update_status().state() == pb::UpdateStatus::ROLLBACK_STARTED);
  CHECK(r->update_status().message()
        == "update rolled back due to failure or early termination of task "
           "t9");
  CHECK(r->update_status().started_at_ns() == 100);
  CHECK(r->spec().task().container().env_size() == 0);
  CHECK_FALSE(r->has_previous_spec());
  CHECK(r->spec_version() == 3);
  auto done = complete_update(*r, 300);
  CHECK(done.update_status().state() == pb::UpdateStatus::ROLLBACK_COMPLETED);
  CHECK(done.update_status().message() == "rollback completed");
  CHECK_FALSE(rollback_update(make_service("s2", 1), "x"));
}

TEST_CASE("update status: a manual rollback swaps spec and previous spec, or "
          "is refused without one",
          "[unit]") {
  auto s = updated_service();
  auto r = manual_rollback(s, 500);
  REQUIRE(r);
  CHECK(r->spec().task().container().env_size() == 0);
  CHECK(r->previous_spec().task().container().env(0) == "V=2");
  CHECK(r->update_status().state() == pb::UpdateStatus::ROLLBACK_STARTED);
  CHECK(r->update_status().message() == "manually requested rollback");
  CHECK(r->update_status().started_at_ns() == 500);
  CHECK(r->update_status().completed_at_ns() == 0);
  CHECK(r->spec_version() == s.spec_version()); // the caller bumps it
  auto none = manual_rollback(make_service("abc", 1), 500);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::refused);
  CHECK(none.error().message
        == "rpc error: code = FailedPrecondition desc = service abc does not "
           "have a previous spec");
}
