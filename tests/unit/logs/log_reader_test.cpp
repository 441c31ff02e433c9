// The node's side of `service logs` (actors/logs/log_reader.hpp): tail and
// since select a task's first line, cursors read on, the bounds cut a reply
// short with `more`, partial and over-long lines.

#include "actors/logs/log_reader.hpp"

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <string>
#include <vector>

#include "actors/task/log_writer.hpp"

using namespace actorswarm;

namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t t0 = 1'700'000'000 * sec;

struct logs_fixture {
  test::temp_dir dir{"as-logs-reader"};
  task::task_logs logs{dir.path, task::log_config{}};

  // Writes `lines` for task `id`, line k at t0 + k seconds.
  void write(const std::string& id, const std::vector<std::string>& lines,
             const std::string& tail_bytes = "") {
    REQUIRE(logs.create(id));
    task::log_writer w{logs.log_path(id), task::log_config{}};
    int64_t k = 0;
    for (auto& l : lines) {
      auto x = l + "\n";
      w.write(x.data(), x.size(), t0 + k++ * sec);
    }
    if (!tail_bytes.empty())
      w.write(tail_bytes.data(), tail_bytes.size(), t0 + k * sec);
  }

  pb::NodeLogsReply read(std::vector<pb::TaskLogCursor> cs, int64_t tail,
                         int64_t since_ns = 0, uint32_t lines_max = 100,
                         bool partial = true) {
    pb::NodeLogsRequest req;
    for (auto& c : cs)
      *req.add_tasks() = c;
    req.set_tail(tail);
    req.set_since_ns(since_ns);
    req.set_lines_max(lines_max);
    req.set_bytes_max(1 << 20);
    req.set_partial(partial);
    return logs::read_node_logs(logs, req, t0 + 100 * sec);
  }
};

pb::TaskLogCursor first(const std::string& id) {
  pb::TaskLogCursor c;
  c.set_task_id(id);
  return c;
}

pb::TaskLogCursor at(const std::string& id, uint64_t off) {
  auto c = first(id);
  c.set_started(true);
  c.set_offset(off);
  return c;
}

std::vector<std::string> texts(const pb::TaskLogBatch& b) {
  std::vector<std::string> out;
  for (auto& l : b.lines())
    out.push_back(l.text());
  return out;
}

} // namespace

TEST_CASE("logs reader: tail selects the last lines with their times",
          "[unit]") {
  logs_fixture f;
  f.write("t1", {"a", "b", "c", "d"});
  auto r = f.read({first("t1")}, 2);
  REQUIRE(r.tasks_size() == 1);
  auto& b = r.tasks(0);
  CHECK(texts(b) == std::vector<std::string>{"c", "d"});
  CHECK(b.lines(0).timestamp_ns() == t0 + 2 * sec);
  CHECK(b.lines(1).timestamp_ns() == t0 + 3 * sec);
  CHECK_FALSE(b.more());
  CHECK(b.next_offset() == 8);
  CHECK(texts(f.read({first("t1")}, -1).tasks(0)).size() == 4);
  CHECK(texts(f.read({first("t1")}, 0).tasks(0)).empty());
}

TEST_CASE("logs reader: since drops older lines, with tail the later start",
          "[unit]") {
  logs_fixture f;
  f.write("t1", {"a", "b", "c", "d"});
  auto r = f.read({first("t1")}, -1, t0 + 2 * sec);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"c", "d"});
  r = f.read({first("t1")}, 1, t0 + 1 * sec);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"d"});
  r = f.read({first("t1")}, 3, t0 + 50 * sec);
  CHECK(texts(r.tasks(0)).empty());
}

TEST_CASE("logs reader: the line bound cuts a reply and the cursor reads on",
          "[unit]") {
  logs_fixture f;
  f.write("t1", {"a", "b", "c", "d", "e"});
  auto r = f.read({first("t1")}, -1, 0, 2);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"a", "b"});
  CHECK(r.tasks(0).more());
  r = f.read({at("t1", r.tasks(0).next_offset())}, -1, 0, 2);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"c", "d"});
  r = f.read({at("t1", r.tasks(0).next_offset())}, -1, 0, 2);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"e"});
  CHECK_FALSE(r.tasks(0).more());
}

TEST_CASE("logs reader: the budget is shared by the tasks of a request",
          "[unit]") {
  logs_fixture f;
  f.write("t1", {"a", "b"});
  f.write("t2", {"x", "y"});
  auto r = f.read({first("t1"), first("t2")}, -1, 0, 2);
  REQUIRE(r.tasks_size() == 2);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"a", "b"});
  CHECK(texts(r.tasks(1)).empty());
  CHECK(r.tasks(1).more());
  CHECK(r.tasks(1).next_offset() == 0);
}

TEST_CASE("logs reader: a partial last line waits unless asked for", "[unit]") {
  logs_fixture f;
  f.write("t1", {"a"}, "half");
  auto r = f.read({first("t1")}, -1, 0, 100, false);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"a"});
  CHECK(r.tasks(0).next_offset() == 2);
  CHECK_FALSE(r.tasks(0).more());
  r = f.read({first("t1")}, -1, 0, 100, true);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"a", "half"});
  CHECK(r.tasks(0).next_offset() == 6);
}

TEST_CASE("logs reader: a task without output here is missing", "[unit]") {
  logs_fixture f;
  auto r = f.read({first("nope")}, -1);
  REQUIRE(r.tasks_size() == 1);
  CHECK(r.tasks(0).missing());
  CHECK(r.tasks(0).lines_size() == 0);
}

TEST_CASE("logs reader: an over-long line comes in bounded pieces", "[unit]") {
  logs_fixture f;
  std::string big(logs::line_bytes_max + 10, 'x');
  f.write("t1", {big, "after"});
  auto r = f.read({first("t1")}, -1);
  auto xs = texts(r.tasks(0));
  REQUIRE(xs.size() == 3);
  CHECK(xs[0].size() == logs::line_bytes_max);
  CHECK(xs[1].size() == 10);
  CHECK(xs[2] == "after");
}

TEST_CASE("logs reader: since starting inside an older line skips that line",
          "[unit]") {
  logs_fixture f;
  REQUIRE(f.logs.create("t1"));
  {
    task::log_writer w{f.logs.log_path("t1"), task::log_config{}};
    std::string a = "par";
    std::string b = "tial\nnext\n";
    w.write(a.data(), a.size(), t0);
    w.write(b.data(), b.size(), t0 + 2 * sec);
  }
  // The index dates offset 3 (inside "partial") at t0 + 2 s; "partial"
  // itself is dated t0, before since.
  auto r = f.read({first("t1")}, -1, t0 + sec);
  CHECK(texts(r.tasks(0)) == std::vector<std::string>{"next"});
  CHECK(texts(f.read({first("t1")}, -1).tasks(0))
        == std::vector<std::string>{"partial", "next"});
}

TEST_CASE("logs reader: a read that does not follow stops where the output "
          "ended at its first read, however much the task writes after",
          "[unit]") {
  logs_fixture f;
  f.write("t", {"a", "b"});
  auto r1 = f.read({first("t")}, 1);
  REQUIRE(r1.tasks_size() == 1);
  auto& b1 = r1.tasks(0);
  CHECK(texts(b1) == std::vector<std::string>{"b"});
  CHECK(b1.end_offset() == 4);
  CHECK(b1.next_offset() == 4);
  {
    task::log_writer w{f.logs.log_path("t"), task::log_config{}};
    w.write("c\n", 2, t0 + 10 * sec);
  }
  // read on with the bound: nothing past it
  auto c = at("t", b1.next_offset());
  c.set_until(b1.end_offset());
  auto r2 = f.read({c}, 1);
  CHECK(texts(r2.tasks(0)).empty());
  CHECK_FALSE(r2.tasks(0).more());
  // without it (following), the new line comes
  auto r3 = f.read({at("t", b1.next_offset())}, 1, 0, 100, false);
  CHECK(texts(r3.tasks(0)) == std::vector<std::string>{"c"});
}
