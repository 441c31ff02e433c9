#include "persistence/snapshot_file.hpp"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persistence/crc32c.hpp"
#include "persistence/file_util.hpp"

namespace actorswarm::persistence {

namespace {

constexpr char magic[8] = {'A', 'S', 'S', 'N', 'A', 'P', '0', '1'};
constexpr char sealed_magic[8] = {'A', 'S', 'S', 'N', 'A', 'P', 'E', '1'};

// Refuse absurd lengths from a corrupt header before allocating.
constexpr uint32_t meta_size_max_bytes = 64u << 20;

// magic + meta_len, then data_len; the crc trailer.
constexpr uint64_t head_bytes = 12;
constexpr uint64_t len_bytes = 8;
constexpr uint64_t tail_bytes = 4;

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

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

snapshot_sink::snapshot_sink(int fd, uint32_t crc) : fd_(fd), crc_(crc) {
  // nop
}

int snapshot_sink::write(const void* data, size_t size) {
  crc_ = crc32c_extend(crc_, data, size);
  written_bytes_ += size;
  return write_all(fd_, data, size);
}

snapshot_source::snapshot_source(int fd, uint64_t size_bytes, uint32_t crc,
                                 bool sealed, const std::string* meta_bytes)
  : fd_(fd),
    remaining_bytes_(size_bytes),
    crc_(crc),
    sealed_(sealed),
    meta_bytes_(meta_bytes) {
  // nop
}

long snapshot_source::read(void* data, size_t size) {
  auto n = static_cast<size_t>(std::min<uint64_t>(size, remaining_bytes_));
  if (n == 0)
    return 0;
  if (read_exact(fd_, data, n) != 0)
    return -1;
  crc_ = crc32c_extend(crc_, data, n);
  remaining_bytes_ -= n;
  return static_cast<long>(n);
}

int write_snapshot_file(const std::string& path,
                        const pb::SnapshotMetadata& meta, uint64_t data_len,
                        const std::function<int(snapshot_sink&)>& body,
                        bool sealed) {
  fd_guard fd{
    ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (fd.fd < 0)
    return errno;
  std::string head{sealed ? sealed_magic : magic, sizeof(magic)};
  auto meta_bytes = meta.SerializeAsString();
  put_be<uint32_t>(head, static_cast<uint32_t>(meta_bytes.size()));
  head += meta_bytes;
  put_be<uint64_t>(head, data_len);
  snapshot_sink sink{fd.fd, 0};
  if (int err = sink.write(head.data(), head.size()))
    return err;
  if (int err = body(sink))
    return err;
  if (sink.written_bytes() != head.size() + data_len)
    return EIO;
  std::string tail;
  put_be<uint32_t>(tail, sink.crc());
  if (int err = write_all(fd.fd, tail.data(), tail.size()))
    return err;
  return ::fsync(fd.fd) == 0 ? 0 : errno;
}

result<pb::SnapshotMetadata>
read_snapshot_file(const std::string& path,
                   const std::function<bool(snapshot_source&)>& body) {
  auto corrupt = [&path](const std::string& why) {
    return fail(errc::internal, "snapshot " + path + " is corrupt: " + why);
  };
  fd_guard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0)
    return corrupt(errno_text(errno));
  auto file_size = static_cast<uint64_t>(st.st_size);
  unsigned char head[head_bytes];
  if (file_size < head_bytes + len_bytes + tail_bytes
      || read_exact(fd.fd, head, sizeof(head)) != 0)
    return corrupt("truncated header");
  auto* head_chars = reinterpret_cast<const char*>(head);
  bool sealed = std::equal(sealed_magic, sealed_magic + 8, head_chars);
  if (!sealed && !std::equal(magic, magic + 8, head_chars))
    return corrupt("bad magic");
  auto meta_len = get_be<uint32_t>(head + 8);
  auto fixed_bytes = head_bytes + meta_len + len_bytes + tail_bytes;
  if (meta_len > meta_size_max_bytes || file_size < fixed_bytes)
    return corrupt("bad metadata length");
  std::string meta_bytes(meta_len, '\0');
  unsigned char len_buf[len_bytes];
  if (read_exact(fd.fd, meta_bytes.data(), meta_len) != 0
      || read_exact(fd.fd, len_buf, len_bytes) != 0)
    return corrupt("truncated metadata");
  auto data_len = get_be<uint64_t>(len_buf);
  if (data_len != file_size - fixed_bytes)
    return corrupt("data length does not match the file size");
  uint32_t crc = crc32c_extend(0, head, sizeof(head));
  crc = crc32c_extend(crc, meta_bytes.data(), meta_len);
  crc = crc32c_extend(crc, len_buf, len_bytes);
  snapshot_source source{fd.fd, data_len, crc, sealed, &meta_bytes};
  bool body_ok = body(source);
  // Drain what the body left, so the checksum covers all the data.
  char buf[4096];
  long n = 0;
  while ((n = source.read(buf, sizeof(buf))) > 0)
    ; // bounded by data_len
  unsigned char tail[tail_bytes];
  if (n < 0 || read_exact(fd.fd, tail, tail_bytes) != 0)
    return corrupt("truncated data");
  if (source.crc() != get_be<uint32_t>(tail))
    return corrupt("checksum mismatch");
  pb::SnapshotMetadata meta;
  if (!meta.ParseFromString(meta_bytes))
    return corrupt("metadata does not parse");
  if (!body_ok)
    return corrupt("data does not parse");
  return meta;
}

} // namespace actorswarm::persistence
