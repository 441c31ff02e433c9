#include <catch2/catch.hpp>

#include "actors/task/log_writer.hpp"
#include "actors/task/task_logs.hpp"
#include "task_test_support.hpp"

#include <filesystem>
#include <fstream>

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;

namespace {

namespace fs = std::filesystem;

std::vector<std::string> texts(const std::vector<log_line>& lines) {
  std::vector<std::string> out;
  for (auto& x : lines)
    out.push_back(x.text);
  return out;
}

log_config small(uint64_t size_max, uint32_t files_max) {
  log_config cfg;
  cfg.log_size_max_bytes = size_max;
  cfg.log_files_max = files_max;
  cfg.index_interval_ns = 1;
  return cfg;
}

void write(log_writer& w, const std::string& text, int64_t now_ns) {
  w.write(text.data(), text.size(), now_ns);
}

// Bytes of a task's log files (output.log and its rotations).
uint64_t log_bytes(const std::string& dir) {
  uint64_t n = 0;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("output.log", 0) == 0
        && e.path().extension() != ".idx")
      n += e.file_size();
  return n;
}

// Bytes of every file below `dir`.
uint64_t all_bytes(const std::string& dir) {
  uint64_t n = 0;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      n += e.file_size();
  return n;
}

log_config with_node_max(log_config cfg, uint64_t node_bytes_max) {
  cfg.node_log_bytes_max = node_bytes_max;
  return cfg;
}

} // namespace

TEST_CASE("the log writer rotates by renaming at line ends, tail reads "
          "across the files",
          "[unit]") {
  temp_dir dir;
  auto cfg = small(20, 3);
  task_logs logs{dir.path, cfg};
  REQUIRE(logs.create("t").ok());
  auto log = logs.log_path("t");
  log_writer w{log, cfg};
  // 24 bytes: the first file ends after line3 (the last line end that fits).
  write(w, "line1\nline2\nline3\nline4\n", 100);
  CHECK(read_all(log + ".1") == "line1\nline2\nline3\n");
  CHECK(read_all(log) == "line4\n");
  write(w, "line5\nline6\nline7\nline8\n", 200);
  write(w, "line9\n", 300);
  CHECK(read_all(log + ".2") == "line1\nline2\nline3\n");
  CHECK(read_all(log + ".1") == "line4\nline5\nline6\n");
  CHECK(read_all(log) == "line7\nline8\nline9\n");
  CHECK_FALSE(fs::exists(log + ".3"));

  auto all = logs.tail("t", all_lines, 999);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 9);
  CHECK(all->front().text == "line1");
  CHECK(all->back().text == "line9");
  auto last3 = logs.tail("t", 3, 999);
  REQUIRE(last3.ok());
  CHECK(texts(*last3) == std::vector<std::string>{"line7", "line8", "line9"});
  // Timestamps: when each line was written.
  CHECK((*all)[0].time_ns == 100);
  CHECK((*all)[4].time_ns == 200);
  CHECK((*all)[8].time_ns == 300);
  // Offsets are global and contiguous across rotations.
  CHECK((*all)[0].offset == 0);
  CHECK((*all)[4].offset == 24);
  CHECK((*all)[8].offset == 48);
  CHECK(logs.tail("t", 0, 0)->empty());

  // A fourth file drops the oldest one; its index lines go with it.
  write(w, "line10 is long\n", 400);
  auto after = logs.tail("t", all_lines, 999);
  REQUIRE(after.ok());
  CHECK(after->front().text == "line4");
  CHECK(after->front().time_ns == 100);
  CHECK(after->back().text == "line10 is long");
  CHECK(after->back().time_ns == 400);
}

TEST_CASE("a task writing far more than the cap never has more than cap "
          "times files on disk",
          "[unit]") {
  temp_dir dir;
  auto cfg = small(1000, 2);
  task_logs logs{dir.path, cfg};
  REQUIRE(logs.create("t").ok());
  log_writer w{logs.log_path("t"), cfg};
  std::string chunk;
  for (int i = 0; i < 20000; ++i) {
    chunk += "line " + std::to_string(i) + "\n";
    if (chunk.size() > 700 || i == 19999) {
      write(w, chunk, i);
      chunk.clear();
      REQUIRE(log_bytes(logs.task_dir("t")) <= 2000);
      REQUIRE(fs::file_size(logs.log_path("t")) <= 1000);
    }
  }
  CHECK(w.dropped_bytes() == 0);
  auto last = logs.tail("t", 2, 0);
  REQUIRE(last.ok());
  CHECK(texts(*last) == std::vector<std::string>{"line 19998", "line 19999"});
  // What is kept is the newest output, contiguous.
  auto all = logs.tail("t", all_lines, 0);
  REQUIRE(all.ok());
  for (size_t k = 1; k < all->size(); ++k)
    REQUIRE((*all)[k].offset
            == (*all)[k - 1].offset + (*all)[k - 1].text.size() + 1);
  CHECK(all->back().offset + all->back().text.size() + 1 == w.end_offset());
}

TEST_CASE("a line longer than the cap is split, the bound still holds",
          "[unit]") {
  temp_dir dir;
  auto cfg = small(10, 2);
  task_logs logs{dir.path, cfg};
  REQUIRE(logs.create("t").ok());
  log_writer w{logs.log_path("t"), cfg};
  write(w, std::string(35, 'x') + "\n", 1);
  CHECK(read_all(logs.log_path("t")) == "xxxxx\n");
  CHECK(read_all(logs.log_path("t") + ".1") == "xxxxxxxxxx");
  CHECK_FALSE(fs::exists(logs.log_path("t") + ".2"));
}

TEST_CASE("a new writer continues an earlier writer's files", "[unit]") {
  temp_dir dir;
  auto cfg = small(10, 2);
  task_logs logs{dir.path, cfg};
  REQUIRE(logs.create("t").ok());
  {
    log_writer w{logs.log_path("t"), cfg};
    write(w, "0123456789AB\n", 5);
  }
  log_writer w{logs.log_path("t"), cfg};
  CHECK(w.end_offset() == 13);
  write(w, "CD\n", 6);
  auto lines = logs.tail("t", all_lines, 0);
  REQUIRE(lines.ok());
  // A line split by a rotation reads as two (it was longer than the cap).
  CHECK(texts(*lines) == std::vector<std::string>{"0123456789", "AB", "CD"});
  CHECK(lines->back().offset == 13);
}

TEST_CASE("the time index stays bounded for a task that never rotates",
          "[unit]") {
  temp_dir dir;
  auto cfg = small(1 << 20, 2);
  cfg.index_entries_max = 8;
  task_logs logs{dir.path, cfg};
  REQUIRE(logs.create("t").ok());
  log_writer w{logs.log_path("t"), cfg};
  for (int i = 1; i <= 1000; ++i)
    write(w, "x\n", i * 100);
  std::ifstream in(logs.log_path("t") + ".idx");
  size_t lines = 0;
  for (std::string l; std::getline(in, l);)
    ++lines;
  CHECK(lines <= 10);
  auto all = logs.tail("t", all_lines, 0);
  REQUIRE(all->size() == 1000);
  // Thinned times stay in order and never later than the write.
  for (size_t k = 0; k < all->size(); ++k) {
    REQUIRE((*all)[k].time_ns <= static_cast<int64_t>(k + 1) * 100);
    if (k > 0)
      REQUIRE((*all)[k].time_ns >= (*all)[k - 1].time_ns);
  }
  CHECK(all->back().time_ns == 100000);
}

TEST_CASE("a writer whose task directory is gone drops the output", "[unit]") {
  temp_dir dir;
  auto cfg = small(10, 2);
  task_logs logs{dir.path, cfg};
  REQUIRE(logs.create("t").ok());
  log_writer w{logs.log_path("t"), cfg};
  write(w, "abc\n", 1);
  REQUIRE(logs.remove("t").ok());
  write(w, "0123456789abcdef\n", 2);
  CHECK(w.dropped_bytes() > 0);
  CHECK_FALSE(fs::exists(logs.task_dir("t")));
}

TEST_CASE("read_from follows the output across a rotation", "[unit]") {
  temp_dir dir;
  auto cfg = small(10, 2);
  task_logs logs{dir.path, cfg};
  REQUIRE(logs.create("t").ok());
  log_writer w{logs.log_path("t"), cfg};
  write(w, "01234567", 1);
  auto c1 = logs.read_from("t", 0, 5);
  REQUIRE(c1.ok());
  CHECK(c1->bytes == "01234");
  CHECK(c1->next_offset == 5);
  write(w, "89ABCD", 2); // does not fit: starts a new file
  auto c2 = logs.read_from("t", c1->next_offset, 100);
  CHECK(c2->bytes == "567");
  auto c3 = logs.read_from("t", c2->next_offset, 100);
  CHECK(c3->bytes == "89ABCD");
  CHECK(c3->offset == 8);
  auto c4 = logs.read_from("t", c3->next_offset, 100);
  CHECK(c4->bytes.empty());
  CHECK(c4->next_offset == 14);
  // Three more rotations: a stale offset resumes at the oldest byte on disk.
  write(w, "EFGHIJKLMNOPQRSTUVWXYZ", 3);
  auto c5 = logs.read_from("t", 0, 100);
  CHECK(c5->offset == 24);
  CHECK(c5->bytes == "OPQRSTUVWX");
  REQUIRE(logs.remove("t").ok());
  CHECK_FALSE(fs::exists(logs.task_dir("t")));
}

TEST_CASE("unwritten files read as empty, partial lines count", "[unit]") {
  temp_dir dir;
  task_logs logs{dir.path, log_config{}};
  REQUIRE(logs.create("t").ok());
  CHECK(logs.tail("t", 10, 77)->empty());
  log_writer w{logs.log_path("t"), log_config{}};
  write(w, "a\n\nb", 5);
  auto lines = logs.tail("t", 10, 77);
  REQUIRE(lines.ok());
  CHECK(texts(*lines) == std::vector<std::string>{"a", "", "b"});
  CHECK(lines->back().time_ns == 5);
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

TEST_CASE("the node bound removes finished tasks' logs, rotated files "
          "first, and never a running task's",
          "[unit]") {
  temp_dir dir;
  auto cfg = small(100, 2);
  task_logs logs{dir.path, cfg};
  for (auto* id : {"old", "newer", "running"}) {
    REQUIRE(logs.create(id).ok());
    log_writer w{logs.log_path(id), cfg};
    for (int i = 0; i < 30; ++i)
      write(w, "0123456789\n", i); // 330 bytes: 2 files of <= 100 kept
  }
  auto running = [](const std::string& id) { return id == "running"; };
  // Just over the bound: the oldest rotated file of a finished task goes.
  auto total = all_bytes(dir.path);
  task_logs over{dir.path, with_node_max(cfg, total - 50)};
  CHECK(over.trim_node(running) > 0);
  CHECK_FALSE(fs::exists(logs.log_path("old") + ".1"));
  CHECK(fs::exists(logs.log_path("newer") + ".1"));
  CHECK(fs::exists(logs.log_path("running") + ".1"));
  CHECK(fs::exists(logs.log_path("old")));
  CHECK(all_bytes(dir.path) <= total - 50);
  // Under the bound: nothing more goes.
  CHECK(over.trim_node(running) == 0);
  // A tight bound takes whole finished tasks, never the running one.
  task_logs tight{dir.path, with_node_max(cfg, 10)};
  CHECK(tight.trim_node(running) > 0);
  CHECK_FALSE(fs::exists(logs.task_dir("old")));
  CHECK_FALSE(fs::exists(logs.task_dir("newer")));
  CHECK(fs::exists(logs.log_path("running") + ".1"));
  CHECK(logs.task_ids(10) == std::vector<std::string>{"running"});
}
