#include "actors/raft/raft_actor.hpp"

#include "actors/raft/apply_batch.hpp"
#include "actors/store/store_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "builders.hpp"
#include "persistence/memory_log_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;

namespace {

// Counts durable saves and how many of them were synced.
struct counting_store : persistence::memory_log_store {
  size_t saves = 0;
  size_t synced = 0;
  size_t entries_saved = 0;
  size_t unsynced_entries = 0; // saves with entries that were not synced

  void save(const persistence::log_write& x) override {
    ++saves;
    synced += x.sync ? 1 : 0;
    unsynced_entries += (!x.sync && !x.entries.empty()) ? 1 : 0;
    entries_saved += x.entries.size();
    memory_log_store::save(x);
  }
};

struct raft_store_fixture : actor_fixture {
  counting_store log;
  persistence::memory_snapshot_store snaps;

  store::store_actor_type spawn(uint64_t snapshot_interval = 10000) {
    store::store_config cfg;
    cfg.snapshot_interval = snapshot_interval;
    auto s = track(store::spawn_store(sys, log, &snaps, cfg));
    drain();
    return s;
  }

  uint64_t propose(const store::store_actor_type& s, const std::string& id) {
    return ask_ok<uint64_t>(s, propose_atom::value, create_service(id));
  }
};

} // namespace

TEST_CASE_METHOD(raft_store_fixture,
                 "raft: a one-member group bootstraps, leads and commits "
                 "proposals through the synced raft log",
                 "[actor]") {
  auto s = spawn();
  auto st = ask_ok<raft::raft_status_ptr>(s, raft_status_atom::value);
  REQUIRE(st);
  CHECK(st->is_leader);
  CHECK(st->lead == 1);
  CHECK(st->members.voters_size() == 1);
  auto idx = propose(s, "a");
  CHECK(log.hard_state().commit() >= idx);
  auto xs = log.entries(idx, idx + 1, persistence::no_size_limit_bytes);
  REQUIRE(xs.ok());
  pb::StoreBatch b;
  REQUIRE(b.ParseFromString(xs->front().data()));
  CHECK(b.actions(0).service().id() == "a");
  CHECK(xs->front().term() == st->term);
  auto v = ask_ok<store_view_ptr>(s, view_atom::value);
  REQUIRE(v->services().count("a") == 1);
  CHECK(v->services().at("a")->meta().version() == idx);
  // Entries are synced; only commit-index updates may be written unsynced.
  CHECK(log.unsynced_entries == 0);
}

TEST_CASE_METHOD(raft_store_fixture,
                 "raft: proposals queued together share one synced save "
                 "(group commit)",
                 "[actor]") {
  auto s = spawn();
  auto synced_before = log.synced;
  std::vector<decltype(self->request(s, caf::infinite, propose_atom::value,
                                     pb::StoreBatch{}))>
    hs;
  for (int i = 0; i < 5; ++i)
    hs.push_back(self->request(s, caf::infinite, propose_atom::value,
                               create_service("s" + std::to_string(i))));
  drain();
  // One synced save for the five (the commit index follows unsynced).
  CHECK(log.synced == synced_before + 1);
  std::vector<uint64_t> indexes;
  for (auto& h : hs)
    h.receive([&](uint64_t i) { indexes.push_back(i); },
              [&](caf::error& err) { FAIL(caf::to_string(err)); });
  REQUIRE(indexes.size() == 5);
  for (size_t i = 1; i < indexes.size(); ++i)
    CHECK(indexes[i] == indexes[0] + i);
}

TEST_CASE_METHOD(raft_store_fixture,
                 "raft: a refused atomic batch answers its error, yet takes "
                 "its log index",
                 "[actor]") {
  auto s = spawn();
  auto first = propose(s, "a");
  auto r = ask<uint64_t>(s, propose_atom::value, create_service("a"));
  REQUIRE_FALSE(r.ok);
  CHECK(propose(s, "b") == first + 2);
}

TEST_CASE_METHOD(raft_store_fixture,
                 "raft: snapshots every N entries compact the log, a restart "
                 "recovers from snapshot plus log",
                 "[actor]") {
  auto s = spawn(4);
  uint64_t last = 0;
  for (int i = 0; i < 12; ++i)
    last = propose(s, "s" + std::to_string(i));
  auto latest = snaps.load_latest();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->metadata().index() >= 8);
  CHECK((*latest)->metadata().conf_state().voters_size() == 1);
  CHECK(log.first_index() > 1);
  CHECK(log.last_index() == last);
  auto before = ask_ok<store_view_ptr>(s, view_atom::value)->snapshot();
  caf::anon_send_exit(s, caf::exit_reason::kill);
  drain();
  log.crash();
  auto s2 = spawn(4);
  auto after = ask_ok<store_view_ptr>(s2, view_atom::value)->snapshot();
  // The new term's no-op moves the applied index past the old last entry.
  CHECK(after.applied_index() == last + 1);
  CHECK(after.services_size() == before.services_size());
  auto st = ask_ok<raft::raft_status_ptr>(s2, raft_status_atom::value);
  CHECK(st->is_leader);
  CHECK(propose(s2, "next") == last + 2);
}

TEST_CASE_METHOD(raft_store_fixture,
                 "raft: the raft peer ticks only when time moves", "[actor]") {
  auto s = spawn();
  auto st = ask_ok<raft::raft_status_ptr>(s, raft_status_atom::value);
  advance(std::chrono::milliseconds(1000));
  auto st2 = ask_ok<raft::raft_status_ptr>(s, raft_status_atom::value);
  CHECK(st2->term == st->term);
  CHECK(st2->is_leader);
}

// Issue #9: a proposal in the log of a leader that steps down may still
// commit under the next leader. Answering "no leader" told the client it
// failed (so it retried and applied twice); "unknown outcome" tells it to
// look before it retries.
TEST_CASE_METHOD(raft_store_fixture,
                 "raft: a proposal whose leader stepped down before it "
                 "committed is answered unknown outcome, once",
                 "[actor]") {
  auto s = spawn();
  auto h = self->request(s, caf::infinite, propose_atom::value,
                         create_service("a"));
  // The store hands the proposal to its raft peer, which appends it and
  // answers (index, term)...
  sched.prioritize(s);
  REQUIRE(sched.try_run_once());
  REQUIRE(sched.try_run_once());
  // ...and before the store records it as pending, leadership is lost.
  auto deposed = std::make_shared<raft::raft_status>();
  deposed->raft_id = 1;
  deposed->term = 99;
  caf::anon_send(s, leader_atom::value, raft::raft_status_ptr{deposed});
  for (int i = 0; i < 2; ++i) {
    sched.prioritize(s);
    REQUIRE(sched.try_run_once());
  }
  drain();
  std::optional<failure> err;
  h.receive([&](uint64_t) { FAIL("answered as committed"); },
            [&](caf::error& e) { err = to_failure(e); });
  REQUIRE(err);
  CHECK(err->code == errc::unknown_outcome);
  CHECK(err->message.find("may") != std::string::npos);
}
