#include "actors/task/task_logs.hpp"

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

/// The sidecar index: `base <offset>` (global offset of the current file's
/// first byte), then `<end_offset> <ns>` lines: the bytes before end_offset
/// and after the previous line's end were first seen at ns.
struct log_index {
  uint64_t base = 0;
  std::vector<std::pair<uint64_t, int64_t>> entries;

  uint64_t seen_end() const {
    return entries.empty() ? base : std::max(base, entries.back().first);
  }

  // First-seen time of global offset `off`, or `fallback_ns`.
  int64_t time_of(uint64_t off, int64_t fallback_ns) const {
    auto i = std::upper_bound(entries.begin(), entries.end(), off,
                              [](uint64_t x, const auto& e) {
                                return x < e.first;
                              });
    return i == entries.end() ? fallback_ns : i->second;
  }
};

/// One file of a task's output with its place in the global byte stream.
struct log_file {
  std::string path;
  uint64_t start = 0;
  uint64_t size = 0;
};

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string index_path(const std::string& log) {
  return log + ".idx";
}

std::string rotated_path(const std::string& log, uint32_t k) {
  return log + "." + std::to_string(k);
}

log_index load_index(const std::string& log) {
  log_index idx;
  std::ifstream in(index_path(log));
  std::string word;
  if (!(in >> word >> idx.base) || word != "base")
    return log_index{};
  uint64_t end = 0;
  int64_t ns = 0;
  while (in >> end >> ns)
    idx.entries.emplace_back(end, ns);
  return idx;
}

// Rewrites the index aside and renames it into place (no sync: logs are not
// durable state; a torn index only loses timestamps).
status save_index(const std::string& log, const log_index& idx) {
  auto tmp = index_path(log) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "base " << idx.base << '\n';
    for (auto& [end, ns] : idx.entries)
      out << end << ' ' << ns << '\n';
    if (!out)
      return fail(errc::internal, "task logs: cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, index_path(log), ec);
  if (ec)
    return fail(errc::internal, "task logs: " + ec.message());
  return ok_status();
}

status append_index(const std::string& log, uint64_t end, int64_t ns) {
  std::ofstream out(index_path(log), std::ios::app);
  out << end << ' ' << ns << '\n';
  if (!out)
    return fail(errc::internal, "task logs: cannot append to the index");
  return ok_status();
}

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

// Copytruncate (logrotate's): the task keeps its O_APPEND fd and writes at the
// new end of the truncated file. Returns the bytes copied into `.1`.
result<uint64_t> rotate(const std::string& log, uint32_t files_max) {
  std::error_code ec;
  for (uint32_t k = files_max; k >= 2; --k) {
    auto from = rotated_path(log, k - 1);
    if (k == files_max)
      fs::remove(from, ec);
    else if (fs::exists(from))
      fs::rename(from, rotated_path(log, k), ec);
    if (ec)
      return fail(errc::internal, "task logs: rotate: " + ec.message());
  }
  uint64_t copied = file_size(log);
  if (files_max > 1) {
    fs::copy_file(log, rotated_path(log, 1),
                  fs::copy_options::overwrite_existing, ec);
    if (ec)
      return fail(errc::internal, "task logs: rotate: " + ec.message());
    copied = file_size(rotated_path(log, 1));
  }
  fs::resize_file(log, 0, ec);
  if (ec)
    return fail(errc::internal, "task logs: truncate: " + ec.message());
  return copied;
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

status task_logs::create(const std::string& task_id) const {
  std::error_code ec;
  fs::create_directories(task_dir(task_id), ec);
  if (ec)
    return fail(errc::internal,
                "task: create " + task_dir(task_id) + ": " + ec.message());
  return ok_status();
}

status task_logs::maintain(const std::string& task_id, int64_t now_ns) const {
  auto log = log_path(task_id);
  auto idx = load_index(log);
  if (!fs::exists(index_path(log))) {
    if (auto st = save_index(log, idx); !st)
      return st;
  }
  auto end = idx.base + file_size(log);
  if (end > idx.seen_end()) {
    if (auto st = append_index(log, end, now_ns); !st)
      return st;
    idx.entries.emplace_back(end, now_ns);
  }
  if (end - idx.base <= cfg_.log_size_max_bytes)
    return ok_status();
  auto copied = rotate(log, cfg_.log_files_max);
  if (!copied)
    return copied.error();
  // Bytes written between our stat and the copy were first seen now, too.
  if (idx.base + *copied > idx.seen_end())
    idx.entries.emplace_back(idx.base + *copied, now_ns);
  idx.base += *copied;
  // Keep only entries that still describe bytes on disk.
  auto files = list_files(log, idx, cfg_.log_files_max);
  auto oldest = files.front().start;
  auto keep = std::find_if(idx.entries.begin(), idx.entries.end(),
                           [&](const auto& e) { return e.first > oldest; });
  idx.entries.erase(idx.entries.begin(), keep);
  return save_index(log, idx);
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

status task_logs::remove(const std::string& task_id) const {
  std::error_code ec;
  fs::remove_all(task_dir(task_id), ec);
  if (ec)
    return fail(errc::internal,
                "task: remove " + task_dir(task_id) + ": " + ec.message());
  return ok_status();
}

} // namespace actorswarm::task
