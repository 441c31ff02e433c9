// The raft peer and the store on a full disk (issue #9, defect 5): a write
// the disk refuses is refused to its proposer with errc::no_space, the
// leader steps down and acknowledges nothing, reads go on, and writes
// succeed again once there is space, without a restart.

#include "actors/raft/raft_actor.hpp"

#include <chrono>
#include <string>

#include "actors/raft/apply_batch.hpp"
#include "actors/store/store_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "builders.hpp"
#include "persistence/memory_log_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* full_text
  = "no space left on device in /data: the write was refused";

// A memory log on a disk that can be made full: try_save then refuses with
// errc::no_space and changes nothing, as rocksdb_log_store does on ENOSPC.
struct full_disk_log : persistence::memory_log_store {
  bool full = false;
  size_t refused = 0;

  status try_save(const persistence::log_write& x) override {
    if (full) {
      ++refused;
      return fail(errc::no_space, full_text);
    }
    save(x);
    return ok_status();
  }
};

struct full_disk_fixture : actor_fixture {
  full_disk_log log;
  persistence::memory_snapshot_store snaps;
  store::store_actor_type s;

  full_disk_fixture() {
    s = track(store::spawn_store(sys, log, &snaps, store::store_config{}));
    drain();
  }

  reply<uint64_t> propose(const std::string& id) {
    return ask<uint64_t>(s, propose_atom::value, create_service(id));
  }

  raft::raft_status_ptr status() {
    return ask_ok<raft::raft_status_ptr>(s, raft_status_atom::value);
  }

  bool has_service(const std::string& id) {
    return ask_ok<store_view_ptr>(s, view_atom::value)->services().count(id)
           == 1;
  }
};

} // namespace

TEST_CASE_METHOD(full_disk_fixture,
                 "raft: a full disk refuses the write with no_space, the "
                 "leader steps down, reads go on, and writes succeed again "
                 "once there is space",
                 "[actor]") {
  auto a = propose("a");
  REQUIRE(a.ok);
  REQUIRE(status()->is_leader);
  auto last_before = log.last_index();
  auto hs_before = log.hard_state();
  // start: the disk fills
  log.full = true;
  auto b = propose("b");
  // check: refused for certain, with the clear error; nothing stored
  REQUIRE_FALSE(b.ok);
  CHECK(b.error.code == errc::no_space);
  CHECK(b.error.message == full_text);
  CHECK(log.refused == 1);
  CHECK(log.last_index() == last_before);
  CHECK(log.hard_state().term() == hs_before.term());
  auto st = status();
  CHECK_FALSE(st->is_leader);
  REQUIRE(st->write_refused);
  CHECK(st->write_refused->code == errc::no_space);
  // check: reads go on; another write is refused at once, same error
  CHECK(has_service("a"));
  CHECK_FALSE(has_service("b"));
  auto c = propose("c");
  REQUIRE_FALSE(c.ok);
  CHECK(c.error.code == errc::no_space);
  // check: while full, the peer retries at its election timeouts, never in
  // a loop, and stays up (a livelock would fail drain()'s bound)
  for (int i = 0; i < 30; ++i)
    advance(100ms);
  auto retries = log.refused;
  CHECK(retries > 1);
  CHECK(retries < 30);
  CHECK_FALSE(status()->is_leader);
  CHECK(log.last_index() == last_before);
  // start: space is back
  log.full = false;
  for (int i = 0; i < 30 && !status()->is_leader; ++i)
    advance(100ms);
  // check: leads again without a restart; writes succeed; "b" never
  // committed
  st = status();
  CHECK(st->is_leader);
  CHECK_FALSE(st->write_refused);
  auto d = propose("d");
  REQUIRE(d.ok);
  CHECK(has_service("d"));
  CHECK_FALSE(has_service("b"));
  CHECK_FALSE(has_service("c"));
}
