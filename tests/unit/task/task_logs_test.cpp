#include <catch2/catch.hpp>

#include "actors/task/task_logs.hpp"
#include "task_test_support.hpp"

#include <filesystem>
#include <fstream>

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;

namespace {

// Appends as the task would (its own O_APPEND fd, not the daemon's).
void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app);
  out << text;
}

std::vector<std::string> texts(const std::vector<log_line>& lines) {
  std::vector<std::string> out;
  for (auto& x : lines)
    out.push_back(x.text);
  return out;
}

} // namespace

TEST_CASE("tail reads the last lines across rotated files", "[unit]") {
  temp_dir dir;
  task_logs logs{dir.path, log_config{20, 3}};
  REQUIRE(logs.create("t").ok());
  auto log = logs.log_path("t");
  // Each pass sees ~24 bytes and rotates: three files survive.
  append(log, "line1\nline2\nline3\nline4\n");
  REQUIRE(logs.maintain("t", 100).ok());
  append(log, "line5\nline6\nline7\nline8\n");
  REQUIRE(logs.maintain("t", 200).ok());
  append(log, "line9\n");
  REQUIRE(logs.maintain("t", 300).ok());
  CHECK(std::filesystem::exists(log + ".1"));
  CHECK(std::filesystem::exists(log + ".2"));
  CHECK_FALSE(std::filesystem::exists(log + ".3"));
  CHECK(read_all(log) == "line9\n");

  auto all = logs.tail("t", all_lines, 999);
  REQUIRE(all.ok());
  CHECK(texts(*all)
        == std::vector<std::string>{"line1", "line2", "line3", "line4", "line5",
                                    "line6", "line7", "line8", "line9"});
  auto last3 = logs.tail("t", 3, 999);
  REQUIRE(last3.ok());
  CHECK(texts(*last3) == std::vector<std::string>{"line7", "line8", "line9"});
  // Timestamps: the pass that first saw each line.
  CHECK((*all)[0].time_ns == 100);
  CHECK((*all)[4].time_ns == 200);
  CHECK((*all)[8].time_ns == 300);
  // Offsets are global and contiguous across rotations.
  CHECK((*all)[0].offset == 0);
  CHECK((*all)[4].offset == 24);
  CHECK((*all)[8].offset == 48);
  CHECK(logs.tail("t", 0, 0)->empty());

  // A fourth rotation drops the oldest file.
  append(log, "line10 is long enough\n");
  REQUIRE(logs.maintain("t", 400).ok());
  auto after = logs.tail("t", all_lines, 999);
  REQUIRE(after.ok());
  CHECK(texts(*after)
        == std::vector<std::string>{"line5", "line6", "line7", "line8", "line9",
                                    "line10 is long enough"});
  CHECK(after->front().time_ns == 200);
}

TEST_CASE("unseen bytes get the reader's time, partial lines count", "[unit]") {
  temp_dir dir;
  task_logs logs{dir.path, log_config{}};
  REQUIRE(logs.create("t").ok());
  append(logs.log_path("t"), "a\n\nb");
  auto lines = logs.tail("t", 10, 77);
  REQUIRE(lines.ok());
  CHECK(texts(*lines) == std::vector<std::string>{"a", "", "b"});
  CHECK(lines->back().time_ns == 77);
  auto last = logs.tail("t", 2, 77);
  CHECK(texts(*last) == std::vector<std::string>{"", "b"});
}

TEST_CASE("tail of a long file reads backwards in chunks", "[unit]") {
  temp_dir dir;
  task_logs logs{dir.path, log_config{}};
  REQUIRE(logs.create("t").ok());
  {
    std::ofstream out(logs.log_path("t"));
    for (int i = 0; i < 20000; ++i)
      out << "line number " << i << '\n';
  }
  auto lines = logs.tail("t", 2, 0);
  REQUIRE(lines.ok());
  CHECK(texts(*lines)
        == std::vector<std::string>{"line number 19998", "line number 19999"});
  auto many = logs.tail("t", 10000, 0);
  REQUIRE(many->size() == 10000);
  CHECK(many->front().text == "line number 10000");
}

TEST_CASE("read_from follows the output across a rotation", "[unit]") {
  temp_dir dir;
  task_logs logs{dir.path, log_config{10, 2}};
  REQUIRE(logs.create("t").ok());
  auto log = logs.log_path("t");
  append(log, "0123456789AB");
  auto c1 = logs.read_from("t", 0, 5);
  REQUIRE(c1.ok());
  CHECK(c1->bytes == "01234");
  CHECK(c1->next_offset == 5);
  REQUIRE(logs.maintain("t", 1).ok()); // rotates: 12 > 10
  append(log, "CD");
  auto c2 = logs.read_from("t", c1->next_offset, 100);
  CHECK(c2->bytes == "56789AB");
  auto c3 = logs.read_from("t", c2->next_offset, 100);
  CHECK(c3->bytes == "CD");
  CHECK(c3->offset == 12);
  auto c4 = logs.read_from("t", c3->next_offset, 100);
  CHECK(c4->bytes.empty());
  CHECK(c4->next_offset == 14);
  // Two more rotations keep only "OPQRSTUVWXYZ" (in .1): a stale offset
  // resumes at the oldest byte still on disk.
  append(log, "EFGHIJKLMN");
  REQUIRE(logs.maintain("t", 2).ok());
  append(log, "OPQRSTUVWXYZ");
  REQUIRE(logs.maintain("t", 3).ok());
  auto c5 = logs.read_from("t", 0, 100);
  CHECK(c5->offset == 24);
  CHECK(c5->bytes == "OPQRSTUVWXYZ");
  auto lines = logs.tail("t", all_lines, 9);
  REQUIRE(lines->size() == 1);
  CHECK(lines->front().time_ns == 3);
  REQUIRE(logs.remove("t").ok());
  CHECK_FALSE(std::filesystem::exists(logs.task_dir("t")));
}
