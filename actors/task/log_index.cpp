#include "actors/task/log_index.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

namespace actorswarm::task {

namespace fs = std::filesystem;

int64_t log_index::time_of(uint64_t off, int64_t fallback_ns) const {
  // The last line at or before `off`.
  auto i = std::upper_bound(entries.begin(), entries.end(), off,
                            [](uint64_t x, const auto& e) {
                              return x < e.first;
                            });
  return i == entries.begin() ? fallback_ns : std::prev(i)->second;
}

void log_index::trim_before(uint64_t oldest) {
  auto first_kept = std::upper_bound(entries.begin(), entries.end(), oldest,
                                     [](uint64_t x, const auto& e) {
                                       return x < e.first;
                                     });
  if (first_kept != entries.begin())
    --first_kept; // it dates the bytes from `oldest` on
  entries.erase(entries.begin(), first_kept);
}

void log_index::thin() {
  // Keeps the first line (it dates the oldest bytes) and every second one
  // counted from the last (it dates the newest).
  size_t out = 0;
  auto n = entries.size();
  for (size_t i = 0; i < n; ++i)
    if (i == 0 || (n - 1 - i) % 2 == 0)
      entries[out++] = entries[i];
  entries.resize(out);
}

std::string index_path(const std::string& log) {
  return log + ".idx";
}

std::string rotated_path(const std::string& log, uint32_t k) {
  return log + "." + std::to_string(k);
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

log_index load_index(const std::string& log) {
  log_index idx;
  std::ifstream in(index_path(log));
  std::string word;
  if (!(in >> word >> idx.base) || word != "base")
    return log_index{};
  uint64_t off = 0;
  int64_t ns = 0;
  while (in >> off >> ns)
    idx.entries.emplace_back(off, ns);
  return idx;
}

status save_index(const std::string& log, const log_index& idx) {
  auto tmp = index_path(log) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "base " << idx.base << '\n';
    for (auto& [off, ns] : idx.entries)
      out << off << ' ' << ns << '\n';
    if (!out)
      return fail(errc::internal, "task logs: cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, index_path(log), ec);
  if (ec)
    return fail(errc::internal, "task logs: " + ec.message());
  return ok_status();
}

} // namespace actorswarm::task
