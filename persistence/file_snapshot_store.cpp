#include "persistence/file_snapshot_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message_lite.h>
#include <unistd.h>

#include "messages/assert.hpp"
#include "persistence/file_util.hpp"

namespace actorswarm::persistence {

namespace {

namespace pio = google::protobuf::io;

/// The at_rest label of a snapshot's data: binds all of its metadata.
std::string snapshot_label(const std::string& meta_bytes) {
  return "raft-snapshot/" + meta_bytes;
}

std::string file_name(uint64_t term, uint64_t index, const char* ext) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "snap-%016" PRIx64 "-%016" PRIx64 ".%s", term,
                index, ext);
  return buf;
}

/// Protobuf serializes through this straight into the snapshot file.
class sink_stream : public pio::CopyingOutputStream {
public:
  explicit sink_stream(snapshot_sink& sink) : sink_(sink) {
    // nop
  }

  bool Write(const void* buffer, int size) override {
    err_ = sink_.write(buffer, static_cast<size_t>(size));
    return err_ == 0;
  }

  int err() const {
    return err_ != 0 ? err_ : EIO;
  }

private:
  snapshot_sink& sink_;
  int err_ = 0;
};

/// Protobuf parses through this straight from the snapshot file.
class source_stream : public pio::CopyingInputStream {
public:
  explicit source_stream(snapshot_source& source) : source_(source) {
    // nop
  }

  int Read(void* buffer, int size) override {
    return static_cast<int>(source_.read(buffer, static_cast<size_t>(size)));
  }

private:
  snapshot_source& source_;
};

} // namespace

file_snapshot_store::file_snapshot_store(
  std::string dir, size_t keep_old, warn_fn warn,
  std::shared_ptr<const at_rest::cipher> cipher, bool accept_plain)
  : dir_(std::move(dir)),
    keep_old_(keep_old),
    warn_(std::move(warn)),
    cipher_(std::move(cipher)),
    accept_plain_(accept_plain) {
  if (!warn_)
    warn_ = [](const std::string&) {};
}

status file_snapshot_store::save(const pb::SnapshotMetadata& meta,
                                 const std::string& data) {
  std::lock_guard<std::mutex> guard{mu_};
  if (cipher_)
    return save_sealed(meta, data);
  return save_with(meta, data.size(), [&data](snapshot_sink& sink) {
    return sink.write(data.data(), data.size());
  });
}

status
file_snapshot_store::save_message(const pb::SnapshotMetadata& meta,
                                  const google::protobuf::MessageLite& state) {
  std::lock_guard<std::mutex> guard{mu_};
  if (cipher_)
    return save_sealed(meta, state.SerializeAsString());
  return save_with(meta, state.ByteSizeLong(), [&state](snapshot_sink& sink) {
    sink_stream out{sink};
    pio::CopyingOutputStreamAdaptor adaptor{&out};
    bool ok = state.SerializeToZeroCopyStream(&adaptor) && adaptor.Flush();
    return ok ? 0 : out.err();
  });
}

status
file_snapshot_store::save_with(const pb::SnapshotMetadata& meta,
                               uint64_t data_len,
                               const std::function<int(snapshot_sink&)>& body) {
  auto final_path = dir_ + "/" + file_name(meta.term(), meta.index(), "snap");
  auto tmp_path = dir_ + "/" + file_name(meta.term(), meta.index(), "tmp");
  int err = write_snapshot_file(tmp_path, meta, data_len, body,
                                cipher_ != nullptr);
  if (err == 0 && ::rename(tmp_path.c_str(), final_path.c_str()) != 0)
    err = errno;
  if (err != 0) {
    ::unlink(tmp_path.c_str());
    // A full disk is worth telling apart: the caller may refuse, not stop.
    auto code = err == ENOSPC || err == EDQUOT ? errc::no_space
                                               : errc::internal;
    return fail(code,
                "cannot write snapshot " + final_path + ": " + errno_text(err));
  }
  // Once renamed, the caller may compact the log: the rename must be durable.
  if (int derr = fsync_dir(dir_); derr != 0)
    AS_FAIL_STOP("fsync of snapshot dir " + dir_
                 + " failed: " + errno_text(derr));
  prune();
  return ok_status();
}

status file_snapshot_store::save_sealed(const pb::SnapshotMetadata& meta,
                                        const std::string& plain) {
  auto data = cipher_->seal(plain, snapshot_label(meta.SerializeAsString()));
  return save_with(meta, data.size(), [&data](snapshot_sink& sink) {
    return sink.write(data.data(), data.size());
  });
}

bool file_snapshot_store::read_data(snapshot_source& source, std::string& out,
                                    std::string& why) const {
  if (!cipher_) {
    why = "encrypted (autolock) and no unlock key was given";
    return false;
  }
  if (!source.sealed() && accept_plain_) {
    out.resize(source.remaining_bytes());
    auto n = static_cast<long>(out.size());
    return source.read(out.data(), out.size()) == n;
  }
  if (!source.sealed()) {
    why = std::string{"not encrypted although autolock is on: "}
          + at_rest::open_refusal;
    return false;
  }
  std::string sealed(source.remaining_bytes(), '\0');
  if (source.read(sealed.data(), sealed.size())
      != static_cast<long>(sealed.size()))
    return false; // read_snapshot_file names the truncation
  auto plain = cipher_->open(sealed, snapshot_label(source.meta_bytes()));
  if (!plain) {
    why = at_rest::open_refusal;
    return false;
  }
  out = std::move(*plain);
  return true;
}

result<std::optional<pb::Snapshot>> file_snapshot_store::load_latest() const {
  std::lock_guard<std::mutex> guard{mu_};
  pb::Snapshot snap;
  auto* data = snap.mutable_data();
  auto meta = load_with(
    [this, data](snapshot_source& source, std::string& why) {
      if (cipher_ || source.sealed())
        return read_data(source, *data, why);
      data->resize(source.remaining_bytes());
      auto n = static_cast<long>(data->size());
      return source.read(data->data(), data->size()) == n;
    },
    [data] { data->clear(); });
  if (!meta)
    return meta.error();
  if (!*meta)
    return std::optional<pb::Snapshot>{};
  *snap.mutable_metadata() = std::move(**meta);
  return std::optional<pb::Snapshot>{std::move(snap)};
}

result<std::optional<pb::SnapshotMetadata>>
file_snapshot_store::load_latest_message(
  google::protobuf::MessageLite& state) const {
  std::lock_guard<std::mutex> guard{mu_};
  state.Clear();
  return load_with(
    [this, &state](snapshot_source& source, std::string& why) {
      if (cipher_ || source.sealed()) {
        std::string plain;
        return read_data(source, plain, why) && state.ParseFromString(plain);
      }
      source_stream in{source};
      pio::CopyingInputStreamAdaptor adaptor{&in};
      return state.ParseFromZeroCopyStream(&adaptor);
    },
    [&state] { state.Clear(); });
}

result<std::optional<pb::SnapshotMetadata>> file_snapshot_store::load_with(
  const std::function<bool(snapshot_source&, std::string&)>& body,
  const std::function<void()>& reset) const {
  auto xs = list();
  for (const auto& x : xs) {
    std::string why;
    auto meta = read_snapshot_file(x.path, [&](snapshot_source& source) {
      return body(source, why);
    });
    if (meta)
      return std::optional<pb::SnapshotMetadata>{std::move(*meta)};
    reset();
    // The at-rest refusal says more than the checksum that also fails.
    auto msg = why.empty() ? meta.error().message
                           : "snapshot " + x.path + " is corrupt: " + why;
    warn_(msg + "; trying an older snapshot");
  }
  if (!xs.empty())
    return fail(errc::data_corrupt,
                "all " + std::to_string(xs.size()) + " snapshots in " + dir_
                  + " are corrupt; refusing to start without "
                    "the state they hold");
  return std::optional<pb::SnapshotMetadata>{};
}

std::vector<file_snapshot_store::file_entry> file_snapshot_store::list() const {
  std::vector<file_entry> xs;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir_, ec)) {
    auto name = de.path().filename().string();
    uint64_t term = 0;
    uint64_t index = 0;
    if (std::sscanf(name.c_str(), "snap-%16" SCNx64 "-%16" SCNx64, &term,
                    &index)
          == 2
        && name == file_name(term, index, "snap"))
      xs.push_back(file_entry{term, index, de.path().string()});
  }
  std::sort(xs.begin(), xs.end(), [](const auto& a, const auto& b) {
    return a.index != b.index ? a.index > b.index : a.term > b.term;
  });
  return xs;
}

std::vector<std::string> file_snapshot_store::files() const {
  std::lock_guard<std::mutex> guard{mu_};
  std::vector<std::string> paths;
  for (auto& x : list())
    paths.push_back(x.path);
  return paths;
}

void file_snapshot_store::clear() {
  std::lock_guard<std::mutex> guard{mu_};
  for (const auto& x : list())
    if (::unlink(x.path.c_str()) != 0 && errno != ENOENT)
      AS_FAIL_STOP("cannot delete snapshot " + x.path + ": "
                   + errno_text(errno));
  prune();
  if (int derr = fsync_dir(dir_); derr != 0)
    AS_FAIL_STOP("fsync of snapshot dir " + dir_
                 + " failed: " + errno_text(derr));
}

status
file_snapshot_store::reseal(std::shared_ptr<const at_rest::cipher> next) {
  std::lock_guard<std::mutex> guard{mu_};
  // Bounded by the snapshots kept (keep_old + 1).
  for (const auto& x : list()) {
    std::string why;
    std::string plain;
    auto meta = read_snapshot_file(x.path, [&](snapshot_source& source) {
      if (cipher_ || source.sealed())
        return read_data(source, plain, why);
      plain.resize(source.remaining_bytes());
      auto n = static_cast<long>(plain.size());
      return source.read(plain.data(), plain.size()) == n;
    });
    if (!meta) {
      // A corrupt fallback stays as it is: loading skips it either way.
      warn_(meta.error().message + (why.empty() ? "" : " (" + why + ")")
            + "; left as it is");
      continue;
    }
    auto data = next
                  ? next->seal(plain, snapshot_label(meta->SerializeAsString()))
                  : plain;
    auto tmp_path = dir_ + "/" + file_name(x.term, x.index, "tmp");
    int err = write_snapshot_file(
      tmp_path, *meta, data.size(),
      [&data](snapshot_sink& sink) {
        return sink.write(data.data(), data.size());
      },
      next != nullptr);
    if (err == 0 && ::rename(tmp_path.c_str(), x.path.c_str()) != 0)
      err = errno;
    if (err != 0) {
      ::unlink(tmp_path.c_str());
      return fail(errc::internal,
                  "cannot rewrite snapshot " + x.path + ": " + errno_text(err));
    }
  }
  if (int derr = fsync_dir(dir_); derr != 0)
    AS_FAIL_STOP("fsync of snapshot dir " + dir_
                 + " failed: " + errno_text(derr));
  cipher_ = std::move(next);
  accept_plain_ = false;
  return ok_status();
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
