// The manager's side of `service logs` (actors/logs/log_session.hpp):
// fetch rounds grouped by node, lines merged in timestamp order, a node that
// fails warned of once and skipped, following new and finished tasks.

#include "actors/logs/log_session.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace actorswarm;

namespace {

pb::Task task(const std::string& id, const std::string& node, uint64_t slot,
              pb::TaskState state = pb::RUNNING) {
  pb::Task t;
  t.set_id(id);
  t.set_service_name("web");
  t.set_slot(slot);
  t.set_node_id(node);
  t.mutable_status()->set_state(state);
  return t;
}

pb::ControlReply resolved(std::vector<pb::Task> ts) {
  pb::ControlReply r;
  for (auto& t : ts) {
    *r.add_tasks() = t;
    (*r.mutable_node_names())[t.node_id()] = "host-" + t.node_id();
  }
  for (std::string n : {"n1", "n2"}) {
    auto& x = *r.add_nodes();
    x.set_id(n);
    x.mutable_status()->set_addr("127.0.0.1:" + n);
  }
  return r;
}

pb::LogsRequest request(bool follow, int64_t tail = -1) {
  pb::LogsRequest req;
  req.set_ref("web");
  req.set_follow(follow);
  req.set_tail(tail);
  return req;
}

// A node's answer: per task id, its lines as (time, text) and `more`.
struct batch {
  std::string task_id;
  std::vector<std::pair<int64_t, std::string>> lines;
  bool more = false;
  uint64_t next_offset = 0;
};

pb::NodeLogsResult answer(const std::string& node, std::vector<batch> bs) {
  pb::NodeLogsResult r;
  r.set_node_id(node);
  r.set_ok(true);
  for (auto& b : bs) {
    auto& x = *r.mutable_reply()->add_tasks();
    x.set_task_id(b.task_id);
    x.set_more(b.more);
    x.set_next_offset(b.next_offset);
    for (auto& [ns, text] : b.lines) {
      auto& l = *x.add_lines();
      l.set_timestamp_ns(ns);
      l.set_text(text);
    }
  }
  return r;
}

pb::NodeLogsResult failed(const std::string& node) {
  pb::NodeLogsResult r;
  r.set_node_id(node);
  r.set_error("timeout");
  return r;
}

pb::LogsFetchReply fetched(std::vector<pb::NodeLogsResult> rs) {
  pb::LogsFetchReply out;
  for (auto& r : rs)
    *out.add_nodes() = r;
  return out;
}

std::vector<std::string> texts(const std::vector<pb::LogLine>& ls) {
  std::vector<std::string> out;
  for (auto& l : ls)
    out.push_back(l.text());
  return out;
}

} // namespace

TEST_CASE("logs session: a round asks each node for its own tasks", "[unit]") {
  logs::log_session s{request(false, 5)};
  s.set_tasks(resolved({task("a", "n1", 1), task("b", "n2", 2),
                        task("c", "n1", 3)}));
  auto f = s.next_fetch();
  REQUIRE(f.nodes_size() == 2);
  CHECK(f.nodes(0).node_id() == "n1");
  CHECK(f.nodes(0).addr() == "127.0.0.1:n1");
  CHECK(f.nodes(0).request().tasks_size() == 2);
  CHECK(f.nodes(0).request().tail() == 5);
  CHECK(f.nodes(0).request().partial());
  CHECK_FALSE(f.nodes(0).request().tasks(0).started());
  CHECK(f.nodes(1).request().tasks(0).task_id() == "b");
}

TEST_CASE("logs session: lines of all nodes come merged in time order",
          "[unit]") {
  logs::log_session s{request(false)};
  s.set_tasks(resolved({task("a", "n1", 1), task("b", "n2", 2)}));
  s.next_fetch();
  auto w = s.absorb(fetched({answer("n1", {{"a", {{1, "a1"}, {3, "a3"}}}}),
                             answer("n2", {{"b", {{2, "b2"}, {4, "b4"}}}})}));
  CHECK(w.empty());
  auto ls = s.take(100);
  CHECK(texts(ls) == std::vector<std::string>{"a1", "b2", "a3", "b4"});
  CHECK(ls[0].task_name() == "web.1");
  CHECK(ls[0].node_name() == "host-n1");
  CHECK(ls[1].task_id() == "b");
  CHECK(ls[1].timestamp_ns() == 2);
  CHECK(s.done());
  CHECK(s.next_fetch().nodes_size() == 0);
}

TEST_CASE("logs session: a task with more to read holds the merge back",
          "[unit]") {
  logs::log_session s{request(false)};
  s.set_tasks(resolved({task("a", "n1", 1), task("b", "n2", 2)}));
  s.next_fetch();
  s.absorb(fetched({answer("n1", {{"a", {{5, "a5"}}}}),
                    answer("n2", {{"b", {{1, "b1"}}, true, 3}})}));
  // b1 goes (older than a5); b may hold more lines older than a5.
  CHECK(texts(s.take(100)) == std::vector<std::string>{"b1"});
  auto f = s.next_fetch();
  REQUIRE(f.nodes_size() == 1);
  CHECK(f.nodes(0).node_id() == "n2");
  CHECK(f.nodes(0).request().tasks(0).started());
  CHECK(f.nodes(0).request().tasks(0).offset() == 3);
  s.absorb(fetched({answer("n2", {{"b", {{2, "b2"}, {9, "b9"}}}})}));
  CHECK(texts(s.take(100)) == std::vector<std::string>{"b2", "a5", "b9"});
  CHECK(s.done());
}

TEST_CASE("logs session: a node that does not answer is warned of once "
          "and skipped",
          "[unit]") {
  logs::log_session s{request(false)};
  s.set_tasks(resolved({task("a", "n1", 1), task("b", "n2", 2)}));
  s.next_fetch();
  auto w = s.absorb(fetched({answer("n1", {{"a", {{1, "a1"}}, true, 3}}),
                             failed("n2")}));
  CHECK(w == std::vector<std::string>{"node n2 is not available"});
  CHECK(texts(s.take(100)) == std::vector<std::string>{"a1"});
  auto f = s.next_fetch();
  REQUIRE(f.nodes_size() == 1);
  CHECK(f.nodes(0).node_id() == "n1");
  w = s.absorb(fetched({answer("n1", {{"a", {{2, "a2"}}}})}));
  CHECK(w.empty());
  CHECK(texts(s.take(100)) == std::vector<std::string>{"a2"});
  CHECK(s.done());
  CHECK(logs::incomplete_stream({"node n2 is not available"})
        == "warning: incomplete log stream. some logs could not be retrieved "
           "for the following reasons: node n2 is not available");
}

TEST_CASE("logs session: an unscheduled task is warned of", "[unit]") {
  logs::log_session s{request(false)};
  s.set_tasks(resolved({task("a", "", 1)}));
  CHECK(s.next_fetch().nodes_size() == 0);
  auto w = s.absorb(fetched({}));
  CHECK(w == std::vector<std::string>{"task a has not been scheduled"});
  CHECK(s.done());
}

TEST_CASE("logs session: following, new tasks join from their first line "
          "and finished ones leave",
          "[unit]") {
  logs::log_session s{request(true, 1)};
  s.set_tasks(resolved({task("a", "n1", 1)}));
  auto f = s.next_fetch();
  CHECK_FALSE(f.nodes(0).request().partial());
  s.absorb(fetched({answer("n1", {{"a", {{1, "a1"}}, false, 3}})}));
  CHECK(texts(s.take(100)) == std::vector<std::string>{"a1"});
  CHECK_FALSE(s.done());
  // a failed (replaced by c on n2): a is read once more, c from offset 0.
  s.set_tasks(resolved({task("a", "n1", 1, pb::FAILED), task("c", "n2", 1)}));
  f = s.next_fetch();
  REQUIRE(f.nodes_size() == 2);
  CHECK(f.nodes(1).request().tasks(0).task_id() == "c");
  CHECK(f.nodes(1).request().tasks(0).started());
  CHECK(f.nodes(1).request().tasks(0).offset() == 0);
  s.absorb(fetched({answer("n1", {{"a", {{2, "a2"}}, false, 6}}),
                    answer("n2", {{"c", {{3, "c3"}}, false, 3}})}));
  CHECK(texts(s.take(100)) == std::vector<std::string>{"a2", "c3"});
  f = s.next_fetch();
  REQUIRE(f.nodes_size() == 1);
  CHECK(f.nodes(0).node_id() == "n2");
  CHECK_FALSE(s.done());
}

TEST_CASE("logs session: following, a failed node is asked again later",
          "[unit]") {
  logs::session_config cfg;
  cfg.retry_rounds = 3;
  logs::log_session s{request(true), cfg};
  s.set_tasks(resolved({task("a", "n1", 1)}));
  s.next_fetch();
  CHECK(s.absorb(fetched({failed("n1")})).size() == 1);
  CHECK(s.next_fetch().nodes_size() == 0);
  CHECK(s.next_fetch().nodes_size() == 0);
  REQUIRE(s.next_fetch().nodes_size() == 1);
  CHECK(s.absorb(fetched({failed("n1")})).empty()); // warned once only
}
