#include "persistence/file_snapshot_store.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "messages/assert.hpp"
#include "persistence/crc32c.hpp"
#include "persistence/file_util.hpp"

namespace actorswarm::persistence {

namespace {

constexpr char magic[8] = {'A', 'S', 'S', 'N', 'A', 'P', '0', '1'};

// Refuse absurd lengths from a corrupt header before allocating.
constexpr uint32_t meta_size_max_bytes = 64u << 20;

template <class T>
void put_be(std::string& out, T x) {
  for (int i = sizeof(T) - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

template <class T>
T get_be(const unsigned char* p) {
  T x = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    x = static_cast<T>((x << 8) | p[i]);
  return x;
}

std::string file_name(uint64_t term, uint64_t index, const char* ext) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "snap-%016" PRIx64 "-%016" PRIx64 ".%s",
                term, index, ext);
  return buf;
}

failure corrupt(const std::string& path, const std::string& why) {
  return fail(errc::internal, "snapshot " + path + " is corrupt: " + why);
}

} // namespace

file_snapshot_store::file_snapshot_store(std::string dir, size_t keep_old,
                                         warn_fn warn)
  : dir_(std::move(dir)), keep_old_(keep_old), warn_(std::move(warn)) {
  if (!warn_)
    warn_ = [](const std::string&) {};
}

status file_snapshot_store::save(const pb::SnapshotMetadata& meta,
                                 const std::string& data) {
  auto final_path = dir_ + "/" + file_name(meta.term(), meta.index(), "snap");
  auto tmp_path = dir_ + "/" + file_name(meta.term(), meta.index(), "tmp");
  int err = write_tmp(tmp_path, meta, data);
  if (err == 0 && ::rename(tmp_path.c_str(), final_path.c_str()) != 0)
    err = errno;
  if (err != 0) {
    ::unlink(tmp_path.c_str());
    return fail(errc::internal, "cannot write snapshot " + final_path + ": "
                                  + errno_text(err));
  }
  // Once renamed, the caller may compact the log: the rename must be durable.
  if (int derr = fsync_dir(dir_); derr != 0)
    AS_FAIL_STOP("fsync of snapshot dir " + dir_ + " failed: "
                 + errno_text(derr));
  prune();
  return ok_status();
}

int file_snapshot_store::write_tmp(const std::string& path,
                                   const pb::SnapshotMetadata& meta,
                                   const std::string& data) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return errno;
  std::string head{magic, sizeof(magic)};
  auto meta_bytes = meta.SerializeAsString();
  put_be<uint32_t>(head, static_cast<uint32_t>(meta_bytes.size()));
  head += meta_bytes;
  put_be<uint64_t>(head, data.size());
  uint32_t crc = crc32c_extend(0, head.data(), head.size());
  crc = crc32c_extend(crc, data.data(), data.size());
  std::string tail;
  put_be<uint32_t>(tail, crc);
  int err = write_all(fd, head.data(), head.size());
  if (err == 0)
    err = write_all(fd, data.data(), data.size());
  if (err == 0)
    err = write_all(fd, tail.data(), tail.size());
  if (err == 0 && ::fsync(fd) != 0)
    err = errno;
  ::close(fd);
  return err;
}

result<std::optional<pb::Snapshot>> file_snapshot_store::load_latest() const {
  auto xs = list();
  for (const auto& x : xs) {
    auto snap = read(x.path);
    if (snap)
      return std::optional<pb::Snapshot>{std::move(*snap)};
    warn_(snap.error().message + "; trying an older snapshot");
  }
  if (!xs.empty())
    return fail(errc::internal, "all " + std::to_string(xs.size())
                                  + " snapshots in " + dir_
                                  + " are corrupt; refusing to start without "
                                    "the state they hold");
  return std::optional<pb::Snapshot>{};
}

result<pb::Snapshot> file_snapshot_store::read(const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return corrupt(path, errno_text(errno));
  struct fd_guard {
    int fd;
    ~fd_guard() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return corrupt(path, errno_text(errno));
  auto file_size = static_cast<uint64_t>(st.st_size);
  unsigned char head[12];
  if (file_size < sizeof(head) + 12 || read_exact(fd, head, sizeof(head)) != 0)
    return corrupt(path, "truncated header");
  if (!std::equal(magic, magic + 8, reinterpret_cast<const char*>(head)))
    return corrupt(path, "bad magic");
  auto meta_len = get_be<uint32_t>(head + 8);
  if (meta_len > meta_size_max_bytes || file_size < 12 + meta_len + 12)
    return corrupt(path, "bad metadata length");
  std::string meta_bytes(meta_len, '\0');
  unsigned char len_buf[8];
  if (read_exact(fd, meta_bytes.data(), meta_len) != 0
      || read_exact(fd, len_buf, 8) != 0)
    return corrupt(path, "truncated metadata");
  auto data_len = get_be<uint64_t>(len_buf);
  if (data_len != file_size - (12 + meta_len + 12))
    return corrupt(path, "data length does not match the file size");
  uint32_t crc = crc32c_extend(0, head, sizeof(head));
  crc = crc32c_extend(crc, meta_bytes.data(), meta_len);
  crc = crc32c_extend(crc, len_buf, 8);
  pb::Snapshot snap;
  auto* data = snap.mutable_data();
  data->resize(data_len);
  unsigned char tail[4];
  if (read_exact(fd, data->data(), data_len) != 0 || read_exact(fd, tail, 4))
    return corrupt(path, "truncated data");
  crc = crc32c_extend(crc, data->data(), data_len);
  if (crc != get_be<uint32_t>(tail))
    return corrupt(path, "checksum mismatch");
  if (!snap.mutable_metadata()->ParseFromString(meta_bytes))
    return corrupt(path, "metadata does not parse");
  return snap;
}

std::vector<file_snapshot_store::file_entry> file_snapshot_store::list() const {
  std::vector<file_entry> xs;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir_, ec)) {
    auto name = de.path().filename().string();
    uint64_t term = 0;
    uint64_t index = 0;
    if (std::sscanf(name.c_str(), "snap-%16" SCNx64 "-%16" SCNx64, &term,
                    &index) == 2
        && name == file_name(term, index, "snap"))
      xs.push_back(file_entry{term, index, de.path().string()});
  }
  std::sort(xs.begin(), xs.end(), [](const auto& a, const auto& b) {
    return a.index != b.index ? a.index > b.index : a.term > b.term;
  });
  return xs;
}

std::vector<std::string> file_snapshot_store::files() const {
  std::vector<std::string> paths;
  for (auto& x : list())
    paths.push_back(x.path);
  return paths;
}

void file_snapshot_store::prune() const {
  auto xs = list();
  for (size_t i = keep_old_ + 1; i < xs.size(); ++i)
    if (::unlink(xs[i].path.c_str()) != 0)
      warn_("cannot delete old snapshot " + xs[i].path + ": "
            + errno_text(errno));
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir_, ec))
    if (de.path().extension() == ".tmp")
      ::unlink(de.path().c_str());
}

} // namespace actorswarm::persistence
