// `swarm leave` (actors/node/leave_actor.hpp) against a scripted node,
// store and transport: Docker's quorum refusals, a manager leaving the
// Raft group through the leader first, and the task processes stopped
// with SIGTERM, then SIGKILL after the 10 s grace period in 100 ms checks.

#include "actors/node/leave_actor.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/node/leave.hpp"
#include "actors/store/object_store.hpp"
#include "actors/task/process_executor.hpp"
#include "persistence/memory_node_stores.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::node;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

struct world {
  raft::raft_status status;
  store::object_store view;
  int stops = 0;
  std::vector<pb::ControlRequest> forwarded;
  pb::ControlReply leader_answer;
};

using world_ptr = std::shared_ptr<world>;

leave_node_type::behavior_type fake_node(world_ptr w) {
  return {
    [=](components_stop_atom) {
      ++w->stops;
      return true;
    },
  };
}

caf::behavior fake_store(caf::event_based_actor*, world_ptr w) {
  return {
    [=](raft_status_atom) {
      return std::make_shared<const raft::raft_status>(w->status);
    },
    [=](view_atom) {
      return std::make_shared<const store::object_store>(w->view);
    },
  };
}

// The leader, reached over the transport: answers forwarded demotes.
caf::behavior fake_transport(caf::event_based_actor*, world_ptr w) {
  return {
    [=](cluster_call_atom, uint64_t, int32_t kind, const std::string& bytes) {
      CHECK(kind == pb::Envelope::CONTROL);
      pb::ControlRequest req;
      CHECK(req.ParseFromString(bytes));
      w->forwarded.push_back(req);
      return w->leader_answer.SerializeAsString();
    },
  };
}

// A task process that ignores SIGTERM, in a process group of its own.
class stubborn_child {
public:
  stubborn_child() {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::signal(SIGTERM, SIG_IGN);
      ::setpgid(0, 0);
      char x = 1;
      [[maybe_unused]] auto n = ::write(ready[1], &x, 1);
      for (;;)
        ::pause();
    }
    ::setpgid(pid_, pid_);
    ::close(ready[1]);
    char x = 0;
    auto n = ::read(ready[0], &x, 1);
    ::close(ready[0]);
    REQUIRE(n == 1);
  }

  ~stubborn_child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// Reaps the child; returns its wait status.
  int reap() {
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return status;
  }

  task::process_record record() const {
    return {pid_, task::read_start_time(pid_), pid_};
  }

private:
  pid_t pid_ = -1;
};

struct leave_fixture : actor_fixture {
  world_ptr w = std::make_shared<world>();
  persistence::memory_task_record_store records;

  // This node: manager `self_id` of `managers` (manager 1 leads), or a
  // worker when `managers` is 0.
  leave_actor_type leave(uint64_t managers, bool force, uint64_t self_id = 2) {
    identity id;
    id.node_id = "node" + std::to_string(self_id);
    id.cluster_id = "c1";
    id.raft_id = self_id;
    id.worker = managers == 0;
    w->status = raft::raft_status{};
    w->view = store::object_store{};
    w->status.raft_id = self_id;
    w->status.lead = 1;
    w->status.is_leader = self_id == 1;
    for (uint64_t i = 1; i <= managers; ++i) {
      auto* m = w->status.members.add_voters();
      m->set_raft_id(i);
      w->status.reachable.push_back(i);
    }
    for (uint64_t i = 1; i <= managers; ++i) {
      // A follower counts the managers its store shows reachable.
      pb::StoreBatch b;
      auto* a = b.add_actions();
      a->set_kind(pb::StoreAction::CREATE);
      auto& n = *a->mutable_node();
      n.set_id("node" + std::to_string(i));
      n.set_role(pb::NodeSpec::MANAGER);
      n.mutable_manager_status()->set_raft_id(i);
      n.mutable_manager_status()->set_reachability(
        pb::ManagerStatus::REACHABLE);
      w->view.apply(b, i);
    }
    caf::actor store;
    if (managers > 0)
      store = track(sys.spawn(fake_store, w));
    auto transport = track(sys.spawn(fake_transport, w));
    auto node = track(sys.spawn(fake_node, w));
    return spawn_leave(
      self.ptr(),
      {id, force, caf::actor_cast<store::store_actor_type>(store),
       caf::actor_cast<net::cluster_transport_actor_type>(transport), node,
       &records, &clk, ""});
  }
};

} // namespace

TEST_CASE_METHOD(leave_fixture,
                 "leave: a worker stops its components and "
                 "answers once its processes are gone",
                 "[actor]") {
  auto r = ask_ok<pb::ControlReply>(leave(0, false), node_leave_atom_v);
  CHECK(r.code() == 0);
  CHECK(w->stops == 1);
  CHECK(w->forwarded.empty());
}

TEST_CASE_METHOD(leave_fixture,
                 "leave: the last manager leaves only with "
                 "--force",
                 "[actor]") {
  auto r = ask_ok<pb::ControlReply>(leave(1, false, 1), node_leave_atom_v);
  CHECK(r.code() == static_cast<uint32_t>(errc::refused));
  CHECK(r.error().find("Removing the last manager erases all current state "
                       "of the swarm. Use `--force` to ignore this message.")
        != std::string::npos);
  CHECK(w->stops == 0);
  auto forced = ask_ok<pb::ControlReply>(leave(1, true, 1), node_leave_atom_v);
  CHECK(forced.code() == 0);
  CHECK(w->stops == 1);
}

TEST_CASE_METHOD(leave_fixture,
                 "leave: a leader whose leave would lose the "
                 "quorum is refused",
                 "[actor]") {
  auto l = leave(3, false, 1);
  w->status.reachable = {1, 2};
  auto r = ask_ok<pb::ControlReply>(l, node_leave_atom_v);
  CHECK(r.code() == static_cast<uint32_t>(errc::refused));
  CHECK(r.error().find("Removing this node leaves 1 managers out of 3.")
        != std::string::npos);
  CHECK(w->stops == 0);
}

TEST_CASE_METHOD(leave_fixture,
                 "leave: a manager of several leaves the Raft "
                 "group through the leader, marked as leaving, "
                 "then stops",
                 "[actor]") {
  auto l = leave(3, false, 2);
  auto r = ask_ok<pb::ControlReply>(l, node_leave_atom_v);
  CHECK(r.code() == 0);
  REQUIRE(w->forwarded.size() == 1);
  const auto& role = w->forwarded[0].node_role();
  CHECK(role.refs(0) == "node2");
  CHECK(role.role() == pb::NodeSpec::WORKER);
  CHECK(role.leaving());
  CHECK(w->stops == 1);
}

TEST_CASE_METHOD(leave_fixture,
                 "leave: a refused Raft group leave stops the "
                 "leave unless forced",
                 "[actor]") {
  w->leader_answer.set_code(static_cast<uint32_t>(errc::refused));
  w->leader_answer.set_error("no");
  SECTION("not forced") {
    auto l = leave(2, false, 2);
    auto r = ask_ok<pb::ControlReply>(l, node_leave_atom_v);
    CHECK(r.error() == "no");
    CHECK(w->stops == 0);
  }
  SECTION("forced") {
    auto l = leave(2, true, 2);
    auto r = ask_ok<pb::ControlReply>(l, node_leave_atom_v);
    CHECK(r.code() == 0);
    CHECK(w->stops == 1);
  }
}

TEST_CASE_METHOD(leave_fixture,
                 "leave: a task process that outlives the "
                 "10 s grace period gets SIGKILL",
                 "[actor]") {
  stubborn_child c;
  records.put({{"t1", task::encode_record(c.record())}});
  auto h = self->request(leave(0, false), caf::infinite, node_leave_atom_v);
  drain();
  for (int64_t t = 0; t < leave_stop_grace_ms; t += leave_check_interval_ms) {
    CHECK(self->mailbox().empty());
    advance(std::chrono::milliseconds(leave_check_interval_ms));
  }
  REQUIRE_FALSE(self->mailbox().empty());
  h.receive([](pb::ControlReply& r) { CHECK(r.code() == 0); },
            [](caf::error& err) { FAIL(caf::to_string(err)); });
  auto status = c.reap();
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}
