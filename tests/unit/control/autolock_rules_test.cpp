// The cluster's autolock setting (actors/control/cluster_rules.hpp) and its
// effect on one manager's data dir (actors/control/autolock.hpp).

#include "actors/control/autolock.hpp"

#include <filesystem>

#include <catch2/catch.hpp>

#include "actors/control/cluster_rules.hpp"
#include "actors/control/control_logic.hpp"
#include "persistence/at_rest.hpp"
#include "persistence/data_dir.hpp"
#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_cluster;
using actorswarm::test::now_ns;
using actorswarm::test::view_builder;

namespace {

std::string fresh_key() {
  return persistence::at_rest::format_unlock_key(
    persistence::at_rest::random_key());
}

pb::SwarmUpdateRequest autolock(bool on, std::string key = fresh_key()) {
  pb::SwarmUpdateRequest req;
  req.set_set_autolock(true);
  req.set_autolock(on);
  req.set_fresh_unlock_key(std::move(key));
  return req;
}

/// Applies `req` as swarm update to `b`; returns the ok reply.
pb::ControlReply update(view_builder& b, const pb::SwarmUpdateRequest& req) {
  auto d = update_swarm(b.view(), req, test::now_ns);
  REQUIRE(d);
  b.apply(d->batch);
  return d->ok;
}

struct tmp_dir {
  std::string path;
  tmp_dir() {
    std::string tmpl = "/tmp/as-autolock-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~tmp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

} // namespace

TEST_CASE("control rules: swarm update --autolock=true makes the cluster's "
          "unlock key and answers it once",
          "[unit]") {
  view_builder b;
  b.add(make_cluster());
  auto key = fresh_key();
  auto ok = update(b, autolock(true, key));
  CHECK(ok.unlock_key() == key);
  auto c = *b.view().cluster();
  CHECK(c.spec().encryption_config().auto_lock_managers());
  CHECK(c.unlock_key() == key);
  // Again: on already, the key stays and is not printed again (Docker).
  auto again = update(b, autolock(true));
  CHECK(again.unlock_key().empty());
  CHECK(b.view().cluster()->unlock_key() == key);
  // An update of something else keeps it too.
  pb::SwarmUpdateRequest other;
  other.set_set_task_history_limit(true);
  other.set_task_history_limit(3);
  update(b, other);
  CHECK(b.view().cluster()->unlock_key() == key);
  CHECK(public_cluster(*b.view().cluster()).unlock_key().empty());
  // Off: the key is gone.
  update(b, autolock(false));
  CHECK_FALSE(
    b.view().cluster()->spec().encryption_config().auto_lock_managers());
  CHECK(b.view().cluster()->unlock_key().empty());
}

TEST_CASE("control rules: unlock-key shows, rotates, and refuses without "
          "autolock in docker's words",
          "[unit]") {
  view_builder b;
  b.add(make_cluster());
  auto shown = read_unlock_key(b.view());
  CHECK(shown.code() == static_cast<uint32_t>(errc::refused));
  CHECK(shown.error() == "no unlock key is set");
  pb::UnlockKeyRequest rot;
  rot.set_rotate(true);
  rot.set_fresh_unlock_key(fresh_key());
  auto refused = rotate_unlock_key(b.view(), rot, now_ns);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message
        == "cannot rotate because autolock is not turned on");
  auto key = fresh_key();
  update(b, autolock(true, key));
  CHECK(read_unlock_key(b.view()).unlock_key() == key);
  auto d = rotate_unlock_key(b.view(), rot, now_ns);
  REQUIRE(d);
  CHECK(d->ok.unlock_key() == rot.fresh_unlock_key());
  b.apply(d->batch);
  CHECK(read_unlock_key(b.view()).unlock_key() == rot.fresh_unlock_key());
}

TEST_CASE("control logic: unlock-key is a read, --rotate a write, unlock on "
          "a running manager is docker's not locked",
          "[unit]") {
  pb::ControlRequest show;
  show.mutable_unlock_key();
  CHECK(is_read(show));
  pb::ControlRequest rotate;
  rotate.mutable_unlock_key()->set_rotate(true);
  CHECK_FALSE(is_read(rotate));
  pb::ControlRequest unlock;
  unlock.mutable_swarm_unlock()->set_key("SWMKEY-1-x");
  REQUIRE(is_read(unlock));
  view_builder b;
  b.add(make_cluster());
  auto r = answer_read(b.view(), unlock, "n1");
  CHECK(r.error() == "swarm is not locked");
}

TEST_CASE("autolock: a manager's data dir follows the cluster: locked, "
          "rotated, unlocked",
          "[unit]") {
  tmp_dir tmp;
  auto dir = persistence::data_dir::open(tmp.path, true);
  REQUIRE(dir);
  auto c = make_cluster();
  REQUIRE(sync_autolock(**dir, c));
  CHECK_FALSE((*dir)->autolock());
  c.mutable_spec()->mutable_encryption_config()->set_auto_lock_managers(true);
  c.set_unlock_key(fresh_key());
  REQUIRE(sync_autolock(**dir, c));
  CHECK((*dir)->unlock_key() == c.unlock_key());
  CHECK(persistence::data_dir::is_locked(tmp.path));
  REQUIRE(sync_autolock(**dir, c)); // no change: a no-op
  c.set_unlock_key(fresh_key());
  REQUIRE(sync_autolock(**dir, c));
  CHECK((*dir)->unlock_key() == c.unlock_key());
  dir->reset();
  persistence::data_dir_options opts;
  opts.unlock_key = c.unlock_key();
  dir = persistence::data_dir::open(tmp.path, true, opts);
  REQUIRE(dir);
  c.mutable_spec()->mutable_encryption_config()->set_auto_lock_managers(false);
  c.clear_unlock_key();
  REQUIRE(sync_autolock(**dir, c));
  CHECK_FALSE(persistence::data_dir::is_locked(tmp.path));
}
