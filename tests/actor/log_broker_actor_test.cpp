// The log broker (actors/logs/log_broker_actor.hpp): one fetch round of
// `service logs` asks every node at once, its own node's reader directly and
// the others through the transport; a node that does not answer fails at
// the deadline while the others' lines arrive; LOGS requests from other
// managers are served from this node's task logs.

#include "actors/logs/log_broker_actor.hpp"

#include <memory>
#include <string>
#include <vector>

#include "support/actor_fixture.hpp"
#include "support/temp_dir.hpp"

#include "actors/task/log_writer.hpp"
#include "messages/logs.pb.h"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

struct fake_state {
  std::shared_ptr<int> calls;
  std::vector<caf::typed_response_promise<std::string>> held;
  static inline const char* name = "fake_nodes";
};

// Two remote nodes behind a fake transport: "a:1" answers every task with
// one line "from a"; "b:1" never answers (absent).
logs::node_caller_actor_type::behavior_type
fake_nodes(logs::node_caller_actor_type::stateful_pointer<fake_state> self,
           std::shared_ptr<int> calls) {
  self->state.calls = std::move(calls);
  return {
    [=](cluster_call_atom, const std::string& addr, int32_t,
        const std::string& payload) -> caf::result<std::string> {
      ++*self->state.calls;
      if (addr == "b:1") {
        self->state.held.push_back(self->make_response_promise<std::string>());
        return self->state.held.back();
      }
      pb::NodeLogsRequest req;
      req.ParseFromString(payload);
      pb::NodeLogsReply r;
      for (auto& t : req.tasks()) {
        auto& b = *r.add_tasks();
        b.set_task_id(t.task_id());
        auto& l = *b.add_lines();
        l.set_timestamp_ns(7);
        l.set_text("from a");
      }
      return r.SerializeAsString();
    },
  };
}

struct broker_fixture : actor_fixture {
  temp_dir dir{"as-log-broker"};
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  logs::node_caller_actor_type nodes = track(sys.spawn(fake_nodes, calls));
  logs::log_broker_actor_type broker;

  broker_fixture() {
    logs::log_broker_config cfg;
    cfg.tasks_dir = dir.path;
    cfg.node_deadline_ms = 5000;
    cfg.detached_reader = false;
    broker = track(logs::spawn_log_broker(sys, cfg, clk));
    caf::anon_send(broker, logs_node_atom::value, std::string{"local"}, nodes);
    drain();
    // A task of this node with two lines.
    task::task_logs logs{dir.path, task::log_config{}};
    REQUIRE(logs.create("t0"));
    task::log_writer w{logs.log_path("t0"), task::log_config{}};
    std::string x = "one\ntwo\n";
    w.write(x.data(), x.size(), 5);
  }

  static pb::NodeLogsFetch node(const std::string& id, const std::string& addr,
                                const std::string& task) {
    pb::NodeLogsFetch f;
    f.set_node_id(id);
    f.set_addr(addr);
    auto& r = *f.mutable_request();
    r.set_tail(-1);
    r.set_lines_max(100);
    r.set_bytes_max(1 << 20);
    r.set_partial(true);
    r.add_tasks()->set_task_id(task);
    return f;
  }
};

} // namespace

TEST_CASE_METHOD(broker_fixture,
                 "log broker: a round asks every node at once and an absent "
                 "one fails at its deadline",
                 "[actor]") {
  pb::LogsFetch f;
  *f.add_nodes() = node("local", "", "t0");
  *f.add_nodes() = node("na", "a:1", "t1");
  *f.add_nodes() = node("nb", "b:1", "t2");
  auto h = self->request(broker, caf::infinite, logs_fetch_atom::value,
                         f.SerializeAsString());
  drain();
  // Both remote nodes were asked at once; b holds the round back.
  CHECK(*calls == 2);
  CHECK(self->mailbox().empty());
  advance(5s);
  REQUIRE_FALSE(self->mailbox().empty());
  pb::LogsFetchReply r;
  h.receive([&](std::string& bytes) { REQUIRE(r.ParseFromString(bytes)); },
            [&](caf::error& err) { FAIL(caf::to_string(err)); });
  REQUIRE(r.nodes_size() == 3);
  CHECK(r.nodes(0).node_id() == "local");
  REQUIRE(r.nodes(0).ok());
  auto& local = r.nodes(0).reply().tasks(0);
  REQUIRE(local.lines_size() == 2);
  CHECK(local.lines(0).text() == "one");
  CHECK(local.lines(1).text() == "two");
  REQUIRE(r.nodes(1).ok());
  CHECK(r.nodes(1).reply().tasks(0).lines(0).text() == "from a");
  CHECK(r.nodes(2).node_id() == "nb");
  CHECK_FALSE(r.nodes(2).ok());
  CHECK_FALSE(r.nodes(2).error().empty());
}

TEST_CASE_METHOD(broker_fixture,
                 "log broker: a node without an address fails at once",
                 "[actor]") {
  pb::LogsFetch f;
  *f.add_nodes() = node("nc", "", "t3");
  auto bytes = ask_ok<std::string>(broker, logs_fetch_atom::value,
                                   f.SerializeAsString());
  pb::LogsFetchReply r;
  REQUIRE(r.ParseFromString(bytes));
  REQUIRE(r.nodes_size() == 1);
  CHECK_FALSE(r.nodes(0).ok());
  CHECK(r.nodes(0).error() == "no address for node nc");
  CHECK(*calls == 0);
}

TEST_CASE_METHOD(broker_fixture,
                 "log broker: a manager's LOGS request is served from this "
                 "node's task logs",
                 "[actor]") {
  auto req = node("local", "", "t0").request();
  req.mutable_tasks(0)->set_started(true);
  req.mutable_tasks(0)->set_offset(4);
  auto bytes = ask_ok<std::string>(broker, rpc_atom::value,
                                   static_cast<int32_t>(pb::Envelope::LOGS),
                                   std::string{"manager-2"},
                                   req.SerializeAsString());
  pb::NodeLogsReply r;
  REQUIRE(r.ParseFromString(bytes));
  REQUIRE(r.tasks(0).lines_size() == 1);
  CHECK(r.tasks(0).lines(0).text() == "two");
  CHECK(r.tasks(0).next_offset() == 8);
  auto bad = ask<std::string>(broker, rpc_atom::value,
                              static_cast<int32_t>(pb::Envelope::LOGS),
                              std::string{"manager-2"}, std::string{"\xff"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error.code == errc::bad_request);
}
