// This node taking the role the leader gave it (actors/node/
// role_switch_actor.hpp), and `swarm init --force-new-cluster`
// (actors/node/recover_actor.hpp), against scripted node supervisor,
// membership actor, transport and store: the order of stop, record and
// start, and what each answers.

#include "actors/node/recover_actor.hpp"
#include "actors/node/role_switch_actor.hpp"

#include <memory>
#include <string>
#include <vector>

#include "actors/ca/join_token.hpp"
#include "actors/store/object_store.hpp"
#include "support/actor_fixture.hpp"
#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::node;
using namespace actorswarm::test;

namespace {

// What the scripted actors were asked, in order.
using events = std::shared_ptr<std::vector<std::string>>;

role_switch_node_type::behavior_type switch_node(events ev,
                                                 caf::actor transport) {
  return {
    [=](components_start_atom) {
      ev->push_back("start");
      return true;
    },
    [=](components_stop_atom) {
      ev->push_back("stop");
      return true;
    },
    [=](transport_open_atom) {
      return caf::actor_cast<net::cluster_transport_actor_type>(transport);
    },
  };
}

role_switch_recorder_type::behavior_type switch_recorder(events ev) {
  return {
    [=](node_demoted_atom, const std::vector<std::string>& managers) {
      ev->push_back("demoted " + managers.at(0));
      return true;
    },
    [=](join_adopt_atom, const pb::JoinReply& r, const std::string&)
      -> caf::result<pb::ControlReply, store::store_actor_type> {
      ev->push_back("adopt " + r.cluster_id());
      return {pb::ControlReply{}, store::store_actor_type{}};
    },
  };
}

// The manager a promoted worker joins through: admits or refuses.
caf::behavior manager_at(caf::event_based_actor*, events ev, bool admit) {
  return {
    [=](cluster_join_atom, const std::string& remote, const std::string&,
        const std::string&) {
      ev->push_back("join " + remote);
      pb::JoinReply r;
      if (admit) {
        r.set_cluster_id("c1");
        r.set_manager(true);
      } else {
        r.set_code(static_cast<uint32_t>(errc::invalid_token));
        r.set_error("invalid join token");
      }
      return r.SerializeAsString();
    },
  };
}

struct switch_fixture : actor_fixture {
  events ev = std::make_shared<std::vector<std::string>>();

  role_switch_actor_type spawn_switch(pb::RoleChange rc, bool admit = true) {
    identity id;
    id.node_id = "n2";
    id.cluster_id = "c1";
    id.addr = "10.0.0.2:2377";
    id.worker = rc.manager();
    id.managers = {"10.0.0.1:2377"};
    auto transport = track(sys.spawn(manager_at, ev, admit));
    auto node = track(sys.spawn(switch_node, ev, transport));
    auto recorder = track(sys.spawn(switch_recorder, ev));
    return spawn_role_switch(self.ptr(), {node, recorder, rc, id, "PUB"});
  }
};

// A well-formed manager token (the join pins its CA digest).
std::string manager_token() {
  return ca::make_token(std::string(32, 'd'), std::string(16, 's'));
}

} // namespace

TEST_CASE_METHOD(switch_fixture,
                 "role switch: a demoted manager stops, is "
                 "recorded as a worker of the managers left, "
                 "starts again",
                 "[actor]") {
  pb::RoleChange rc;
  rc.add_managers("10.0.0.3:2377");
  auto r = ask_ok<pb::ControlReply>(spawn_switch(rc), role_switch_atom_v);
  CHECK(r.code() == 0);
  CHECK(*ev
        == std::vector<std::string>{"stop", "demoted 10.0.0.3:2377", "start"});
}

TEST_CASE_METHOD(switch_fixture,
                 "role switch: a promoted worker stops and "
                 "joins with the manager token through the "
                 "manager it was given",
                 "[actor]") {
  pb::RoleChange rc;
  rc.set_manager(true);
  rc.set_token(manager_token());
  rc.add_managers("10.0.0.3:2377");
  auto r = ask_ok<pb::ControlReply>(spawn_switch(rc), role_switch_atom_v);
  CHECK(r.code() == 0);
  CHECK(*ev
        == std::vector<std::string>{"stop", "join 10.0.0.3:2377", "adopt c1"});
}

TEST_CASE_METHOD(switch_fixture,
                 "role switch: a promotion that cannot join "
                 "runs on as a worker and answers why",
                 "[actor]") {
  pb::RoleChange rc;
  rc.set_manager(true);
  rc.set_token(manager_token());
  auto r = ask_ok<pb::ControlReply>(spawn_switch(rc, false),
                                    role_switch_atom_v);
  CHECK(r.code() == static_cast<uint32_t>(errc::invalid_token));
  CHECK(r.error() == "invalid join token");
  // No managers in the role change: the ones this worker knows.
  CHECK(*ev == std::vector<std::string>{"stop", "join 10.0.0.1:2377", "start"});
}

// -- swarm init --force-new-cluster --------------------------------------------

namespace {

recover_node_type::behavior_type recover_node(events ev) {
  return {
    [=](components_start_atom) {
      ev->push_back("start");
      return true;
    },
    [=](components_stop_atom) {
      ev->push_back("stop");
      return true;
    },
  };
}

recover_recorder_type::behavior_type recover_recorder(events ev) {
  return {
    [=](node_founded_atom) {
      ev->push_back("founded");
      return true;
    },
  };
}

caf::behavior view_store(caf::event_based_actor*, store_view_ptr view) {
  return {
    [=](view_atom) { return view; },
  };
}

struct recover_fixture : switch_fixture {
  persistence::test::tmp_dir tmp;
  std::unique_ptr<persistence::data_dir> dir
    = persistence::test::must_open(tmp.path());

  // A store whose replica applied `applied` entries, holding the cluster
  // object unless `cluster` is false.
  recover_actor_type spawn_recover_of(uint64_t applied, bool cluster = true,
                                      uint64_t raft_id = 7) {
    auto view = std::make_shared<store::object_store>();
    if (cluster) {
      pb::StoreBatch b;
      auto* a = b.add_actions();
      a->set_kind(pb::StoreAction::CREATE);
      a->mutable_cluster()->set_id("c1");
      view->apply(b, applied);
    }
    persistence::log_write w;
    for (uint64_t i = 1; i <= applied; ++i) {
      pb::Entry e;
      e.set_index(i);
      e.set_term(2);
      w.entries.push_back(e);
    }
    dir->log().save(w);
    identity id;
    id.node_id = "n1";
    id.raft_id = raft_id;
    id.addr = "10.0.0.1:2377";
    auto store = track(sys.spawn(view_store, view));
    auto node = track(sys.spawn(recover_node, ev));
    auto recorder = track(sys.spawn(recover_recorder, ev));
    return spawn_recover(self.ptr(),
                         {caf::actor_cast<store::store_actor_type>(store), node,
                          recorder, dir.get(), id});
  }
};

} // namespace

TEST_CASE_METHOD(recover_fixture,
                 "recover: the group is rewritten with the "
                 "components stopped, recorded, and they "
                 "start again",
                 "[actor]") {
  auto r = ask_ok<pb::ControlReply>(spawn_recover_of(3),
                                    force_new_cluster_atom_v);
  CHECK(r.code() == 0);
  CHECK(r.cluster().id() == "c1");
  CHECK(r.text() == "n1");
  CHECK(*ev == std::vector<std::string>{"stop", "founded", "start"});
  // Entries 1..3 kept (applied, so committed); entry 4 adds this manager
  // (no voter was recorded) and is committed with them.
  CHECK(dir->log().first_index() == 1);
  CHECK(dir->log().last_index() == 4);
  CHECK(dir->log().hard_state().commit() == 4);
  auto added = dir->log().entries(4, 5, persistence::no_size_limit_bytes);
  REQUIRE(added.ok());
  pb::ConfChange cc;
  REQUIRE(cc.ParseFromString(added->front().data()));
  CHECK(cc.type() == pb::ConfChange::ADD_NODE);
  CHECK(cc.member().raft_id() == 7);
}

TEST_CASE_METHOD(recover_fixture,
                 "recover: a manager without a cluster "
                 "object is refused and keeps running",
                 "[actor]") {
  auto r = ask_ok<pb::ControlReply>(spawn_recover_of(3, false),
                                    force_new_cluster_atom_v);
  CHECK(r.code() == static_cast<uint32_t>(errc::refused));
  CHECK(r.error()
        == "this manager has no cluster object yet (it never caught "
           "up with its swarm); it cannot rebuild one");
  CHECK(ev->empty());
}

TEST_CASE_METHOD(recover_fixture,
                 "recover: a rewrite that fails starts the "
                 "components again and answers why",
                 "[actor]") {
  // Raft id 0: force_new_cluster changes nothing and refuses.
  auto r = ask_ok<pb::ControlReply>(spawn_recover_of(3, true, 0),
                                    force_new_cluster_atom_v);
  CHECK(r.code() == static_cast<uint32_t>(errc::invalid_spec));
  CHECK(dir->log().last_index() == 3);
  CHECK(dir->log().first_index() == 1);
  CHECK(*ev == std::vector<std::string>{"stop", "start"});
}
