#include "actors/logs/log_reader.hpp"

#include "actors/task/log_index.hpp"

#include <algorithm>

namespace actorswarm::logs {

namespace {

/// Bytes asked of the file per read.
constexpr size_t read_chunk_bytes = 64 * 1024;

/// What is left of a reply's bounds.
struct budget {
  uint64_t lines = 0;
  uint64_t bytes = 0;

  bool spent() const {
    return lines == 0 || bytes == 0;
  }

  void take(uint64_t text_bytes) {
    --lines;
    bytes = text_bytes >= bytes ? 0 : bytes - text_bytes;
  }
};

/// One task's read in progress: bytes [line_start, line_start + buf.size())
/// of its output, not yet cut into lines.
struct task_read {
  const task::task_logs& logs;
  const task::log_index& idx;
  const pb::NodeLogsRequest& req;
  int64_t now_ns;
  pb::TaskLogBatch& out;
  uint64_t line_start = 0;
  std::string buf;
  // The read starts inside a line older than since: drop it.
  bool skip = false;
  bool eof = false;
  uint64_t scanned = 0;
  uint64_t until = 0; // TaskLogCursor.until
  // A first read that does not follow, with a tail: at most this many
  // lines, then the task is done (0: no such cap).
  uint64_t lines_cap = 0;
  uint64_t emitted = 0;

  bool capped() const {
    return lines_cap > 0 && emitted >= lines_cap;
  }

  void emit(std::string text, budget& b) {
    auto t = idx.time_of(line_start, now_ns);
    if (skip) {
      skip = false;
      return;
    }
    if (req.since_ns() > 0 && t < req.since_ns())
      return;
    b.take(text.size());
    ++emitted;
    auto& l = *out.add_lines();
    l.set_timestamp_ns(t);
    l.set_text(std::move(text));
  }

  // Cuts the first line off buf, if a whole one (or a piece of a too long
  // one) is there.
  bool cut_line(budget& b) {
    auto nl = buf.find('\n');
    size_t len = 0;
    size_t used = 0;
    if (nl != std::string::npos && nl <= line_bytes_max) {
      len = nl;
      used = nl + 1;
    } else if (buf.size() >= line_bytes_max) {
      len = used = line_bytes_max;
    } else {
      return false;
    }
    emit(buf.substr(0, len), b);
    buf.erase(0, used);
    line_start += used;
    return true;
  }

  // Reads the next chunk of the file into buf; false at the end (or at
  // `until`, when the read has one).
  bool fill() {
    auto at = line_start + buf.size();
    auto want = read_chunk_bytes;
    if (until > 0) {
      if (at >= until)
        return false;
      want = std::min<uint64_t>(want, until - at);
    }
    auto c = logs.read_from(out.task_id(), at, want);
    if (!c || c->bytes.empty())
      return false;
    if (c->offset > at) {
      // A rotation dropped output before it was read: resume where the
      // kept output starts (its first line may be a piece).
      buf.clear();
      line_start = c->offset;
    }
    scanned += c->bytes.size();
    buf += c->bytes;
    return true;
  }

  void run(budget& b) {
    while (!b.spent()) {
      if (capped()) {
        eof = true;
        break;
      }
      if (cut_line(b))
        continue;
      if (scanned >= scan_bytes_max || !fill()) {
        eof = scanned < scan_bytes_max;
        break;
      }
    }
    if (eof && req.partial() && !buf.empty() && !b.spent() && !capped()) {
      auto n = buf.size();
      emit(std::move(buf), b);
      buf.clear();
      line_start += n;
    }
    out.set_next_offset(line_start);
    out.set_more(!eof);
  }
};

// Whether global offset `off` starts a line (the byte before it is a
// newline, or nothing older is kept).
bool line_start_at(const task::task_logs& logs, const std::string& id,
                   uint64_t off) {
  if (off == 0)
    return true;
  auto c = logs.read_from(id, off - 1, 1);
  return !c || c->offset >= off || c->bytes.empty() || c->bytes[0] == '\n';
}

// The first offset of the index at or after which lines are dated since_ns
// or later; `end` when none is.
uint64_t since_offset(const task::log_index& idx, int64_t since_ns,
                      uint64_t oldest, uint64_t end) {
  for (auto& [off, ns] : idx.entries)
    if (ns >= since_ns)
      return std::max(off, oldest);
  return end;
}

} // namespace

uint64_t first_offset(const task::task_logs& logs, const std::string& task_id,
                      int64_t tail, int64_t since_ns, int64_t now_ns) {
  auto end = logs.end_offset(task_id);
  auto oldest = end;
  if (auto c = logs.read_from(task_id, 0, 0); c)
    oldest = c->offset;
  uint64_t start = oldest;
  if (tail == 0)
    start = end;
  else if (tail > 0) {
    auto lines = logs.tail(task_id, static_cast<size_t>(tail), now_ns);
    start = lines && !lines->empty() ? lines->front().offset : end;
  }
  if (since_ns > 0) {
    auto idx = task::load_index(logs.log_path(task_id));
    start = std::max(start, since_offset(idx, since_ns, oldest, end));
  }
  return std::min(start, end);
}

pb::NodeLogsReply read_node_logs(const task::task_logs& logs,
                                 const pb::NodeLogsRequest& req,
                                 int64_t now_ns) {
  pb::NodeLogsReply out;
  budget b{std::max<uint64_t>(req.lines_max(), 1),
           std::max<uint64_t>(req.bytes_max(), 1)};
  for (auto& cur : req.tasks()) {
    auto& batch = *out.add_tasks();
    batch.set_task_id(cur.task_id());
    if (!logs.has_log(cur.task_id())) {
      batch.set_missing(true);
      batch.set_next_offset(cur.offset());
      continue;
    }
    uint64_t start = cur.started()
                       ? cur.offset()
                       : first_offset(logs, cur.task_id(), req.tail(),
                                      req.since_ns(), now_ns);
    // After the start: a task that keeps writing has an end past it.
    batch.set_end_offset(logs.end_offset(cur.task_id()));
    if (b.spent()) {
      batch.set_next_offset(start);
      batch.set_more(true);
      continue;
    }
    auto idx = task::load_index(logs.log_path(cur.task_id()));
    bool skip = !cur.started() && !line_start_at(logs, cur.task_id(), start);
    // A read that does not follow (partial) ends where the output ended
    // when its first read began; its first read with a tail ends after
    // that many lines instead (a task writing fast may rotate the bytes up
    // to the end away before they are read: the tail comes from what is
    // kept).
    task_read r{logs, idx, req, now_ns, batch, start, {}, skip, false, 0};
    r.until = cur.until();
    if (!cur.started() && req.partial()) {
      if (req.tail() > 0)
        r.lines_cap = static_cast<uint64_t>(req.tail());
      else
        r.until = batch.end_offset();
    }
    r.run(b);
  }
  return out;
}

} // namespace actorswarm::logs
