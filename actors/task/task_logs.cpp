#include "actors/task/task_logs.hpp"

#include "actors/task/log_index.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

namespace actorswarm::task {

namespace fs = std::filesystem;

namespace {

/// Bytes read per backwards step of tail().
constexpr uint64_t tail_chunk_bytes = 64 * 1024;

/// One file of a task's output with its place in the global byte stream.
struct log_file {
  std::string path;
  uint64_t start = 0;
  uint64_t size = 0;
};

// The task's files, oldest first, with global start offsets derived from the
// index base and the sizes of the (immutable) rotated files.
std::vector<log_file> list_files(const std::string& log, const log_index& idx,
                                 uint32_t files_max) {
  std::vector<log_file> out;
  out.push_back(log_file{log, idx.base, file_size(log)});
  uint64_t start = idx.base;
  for (uint32_t k = 1; k < files_max; ++k) {
    auto path = rotated_path(log, k);
    if (!fs::exists(path))
      break;
    auto size = file_size(path);
    start = start >= size ? start - size : 0;
    out.push_back(log_file{path, start, size});
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Reads [from, to) of a file.
result<std::string> read_range(const std::string& path, uint64_t from,
                               uint64_t to) {
  std::string out;
  if (to <= from)
    return out;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::internal, "task logs: cannot read " + path);
  in.seekg(static_cast<std::streamoff>(from));
  out.resize(to - from);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

// The last `n` lines of one file (a partial last line counts), as the
// file-relative offset of the first one and the text from there to the end.
result<std::pair<uint64_t, std::string>> read_last_lines(const log_file& f,
                                                         size_t n) {
  uint64_t pos = f.size;
  std::string text;
  size_t newlines = 0;
  // A trailing newline ends the last line; it does not start another one.
  for (size_t step = 0; pos > 0 && newlines <= n && step < (1u << 20); ++step) {
    auto from = pos > tail_chunk_bytes ? pos - tail_chunk_bytes : 0;
    auto chunk = read_range(f.path, from, pos);
    if (!chunk)
      return chunk.error();
    newlines += static_cast<size_t>(std::count(chunk->begin(), chunk->end(),
                                               '\n'));
    text.insert(0, *chunk);
    pos = from;
  }
  size_t cut = text.size();
  if (!text.empty() && text.back() == '\n')
    --cut;
  size_t begin = 0;
  for (size_t lines = 0; lines < n; ++lines) {
    // cut == 0: only the (empty) first line of the file is left.
    auto nl = cut == 0 ? std::string::npos : text.rfind('\n', cut - 1);
    if (nl == std::string::npos) {
      begin = 0;
      break;
    }
    begin = nl + 1;
    cut = nl;
  }
  if (n == 0)
    begin = text.size();
  return std::make_pair(pos + begin, text.substr(begin));
}

// Splits text starting at global offset `start` into lines (oldest first).
void split_lines(const std::string& text, uint64_t start,
                 std::vector<log_line>& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto end = nl == std::string::npos ? text.size() : nl;
    out.push_back(log_line{text.substr(pos, end - pos), 0, start + pos});
    pos = end + 1;
  }
}

} // namespace

task_logs::task_logs(std::string tasks_dir, log_config cfg)
  : tasks_dir_(std::move(tasks_dir)), cfg_(cfg) {
  if (cfg_.log_files_max == 0)
    cfg_.log_files_max = 1;
}

std::string task_logs::task_dir(const std::string& task_id) const {
  return tasks_dir_ + "/" + task_id;
}

std::string task_logs::log_path(const std::string& task_id) const {
  return task_dir(task_id) + "/output.log";
}

std::string task_logs::pipe_path(const std::string& task_id) const {
  return task_dir(task_id) + "/output.pipe";
}

status task_logs::create(const std::string& task_id) const {
  std::error_code ec;
  fs::create_directories(task_dir(task_id), ec);
  if (ec)
    return fail(errc::internal,
                "task: create " + task_dir(task_id) + ": " + ec.message());
  return ok_status();
}

result<std::vector<log_line>> task_logs::tail(const std::string& task_id,
                                              size_t n, int64_t now_ns) const {
  auto log = log_path(task_id);
  auto idx = load_index(log);
  auto files = list_files(log, idx, cfg_.log_files_max);
  std::vector<log_line> out;
  // Newest file first, until n lines are found.
  for (auto f = files.rbegin(); f != files.rend() && out.size() < n; ++f) {
    auto part = read_last_lines(*f, n - out.size());
    if (!part)
      return part.error();
    std::vector<log_line> lines;
    split_lines(part->second, f->start + part->first, lines);
    lines.insert(lines.end(), std::make_move_iterator(out.begin()),
                 std::make_move_iterator(out.end()));
    out = std::move(lines);
  }
  if (out.size() > n)
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(n));
  for (auto& line : out)
    line.time_ns = idx.time_of(line.offset, now_ns);
  return out;
}

result<log_chunk> task_logs::read_from(const std::string& task_id,
                                       uint64_t offset,
                                       size_t max_bytes) const {
  auto log = log_path(task_id);
  auto idx = load_index(log);
  auto files = list_files(log, idx, cfg_.log_files_max);
  log_chunk out;
  // Output older than the oldest kept file is gone: resume at its start.
  out.offset = std::max(offset, files.front().start);
  out.next_offset = out.offset;
  for (auto& f : files) {
    if (out.offset >= f.start + f.size)
      continue;
    auto from = out.offset - f.start;
    auto to = std::min<uint64_t>(f.size, from + max_bytes);
    auto bytes = read_range(f.path, from, to);
    if (!bytes)
      return bytes.error();
    out.bytes = std::move(*bytes);
    out.next_offset = out.offset + out.bytes.size();
    break;
  }
  return out;
}

uint64_t task_logs::end_offset(const std::string& task_id) const {
  auto log = log_path(task_id);
  auto files = list_files(log, load_index(log), cfg_.log_files_max);
  return files.back().start + files.back().size;
}

bool task_logs::has_log(const std::string& task_id) const {
  std::error_code ec;
  auto log = log_path(task_id);
  // A rotation renames the current file before it opens the next one: in
  // between, the first rotated file stands for the task's output.
  return fs::exists(log, ec) || fs::exists(rotated_path(log, 1), ec);
}

status task_logs::remove(const std::string& task_id) const {
  std::error_code ec;
  fs::remove_all(task_dir(task_id), ec);
  if (ec)
    return fail(errc::internal,
                "task: remove " + task_dir(task_id) + ": " + ec.message());
  return ok_status();
}

} // namespace actorswarm::task

namespace actorswarm::task {

namespace {

/// Upper bound of task directories the node pass looks at.
constexpr size_t node_dirs_max = 1'000'000;

/// One file the node pass may remove.
struct node_file {
  std::string task_id;
  std::string path;
  uint64_t size = 0;
  fs::file_time_type mtime;
  /// A rotated file (`.1`, ...): removed before any current file.
  bool rotated = false;
};

bool is_rotated_name(const std::string& name) {
  auto dot = name.rfind('.');
  return name.rfind("output.log.", 0) == 0 && dot != std::string::npos
         && dot + 1 < name.size()
         && name.find_first_not_of("0123456789", dot + 1) == std::string::npos;
}

} // namespace

std::vector<std::string> task_logs::task_ids(size_t max) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator i(tasks_dir_, ec), end; !ec && i != end;
       i.increment(ec)) {
    if (out.size() >= max)
      break;
    if (i->is_directory(ec))
      out.push_back(i->path().filename().string());
  }
  return out;
}

uint64_t task_logs::trim_node(
  const std::function<bool(const std::string&)>& running) const {
  uint64_t total = 0;
  std::vector<node_file> files;
  std::error_code ec;
  for (auto& id : task_ids(node_dirs_max)) {
    bool live = running(id);
    for (fs::directory_iterator i(task_dir(id), ec), end; !ec && i != end;
         i.increment(ec)) {
      if (!i->is_regular_file(ec))
        continue;
      auto size = i->file_size(ec);
      total += ec ? 0 : size;
      auto name = i->path().filename().string();
      bool rotated = is_rotated_name(name);
      if (!live && (rotated || name == "output.log"))
        files.push_back({id, i->path().string(), size, i->last_write_time(ec),
                         rotated});
    }
  }
  if (total <= cfg_.node_log_bytes_max)
    return 0;
  // Rotated files first, then current ones; oldest first within each.
  std::sort(files.begin(), files.end(), [](const auto& x, const auto& y) {
    return x.rotated != y.rotated ? x.rotated : x.mtime < y.mtime;
  });
  uint64_t removed = 0;
  for (auto& f : files) {
    if (total - removed <= cfg_.node_log_bytes_max)
      break;
    if (f.rotated) {
      fs::remove(f.path, ec);
      removed += f.size;
      continue;
    }
    // The current file goes with its whole directory: nothing is left to
    // read, and its rotated files were counted (and removed) before it.
    uint64_t dir_bytes = f.size + file_size(index_path(f.path));
    if (remove(f.task_id))
      removed += dir_bytes;
  }
  return removed;
}

} // namespace actorswarm::task
