#pragma once

// The manager's side of one `service logs` call (issue #11; SwarmKit's
// log broker subscription, pulled): it knows the tasks the control actor
// resolved, groups them by node into fetch rounds (LogsFetch, sent by the
// log broker to every node at once), keeps each task's cursor and the lines
// a round brought, and hands the lines out merged in timestamp order. No
// CAF, no clock, no IO: the control socket server drives it.
//
// Order: a line goes out only when every task that may still hold an
// older line right now has one buffered (k-way merge), so the lines of one
// call come in timestamp order across tasks and nodes. A task blocks the
// merge only while its node said `more`; a failed node's tasks never do.
//
// Bounds: a task is fetched only when its buffer is empty, each node's
// reply is bounded (lines_max, bytes_max), so at most one reply per node is
// held here; the caller takes lines before fetching again.
//
// Following: every resolve may bring new tasks of the service (task
// replacements, other nodes); they join and are read from their first line
// (--since still applies). A task whose state is terminal is read once
// more after that is known, then dropped. A node that fails is retried
// every retry_rounds rounds; its warning is given once.

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "messages/control.pb.h"
#include "messages/logs.pb.h"

namespace actorswarm::logs {

/// Bounds of a session, per node and per round.
struct session_config {
  uint32_t lines_max = 1000;
  uint64_t bytes_max = 1024 * 1024;
  /// Following: a failed node is asked again after this many rounds.
  uint32_t retry_rounds = 150;
};

class log_session {
public:
  log_session(const pb::LogsRequest& req, session_config cfg = {});

  /// A resolve of the request by the control actor: its tasks, nodes (for
  /// their addresses) and node names. The first one fixes the initial set
  /// (tail applies to it); later ones add new tasks (following).
  void set_tasks(const pb::ControlReply& resolved);

  /// The next round: one request per node with a task to read now; empty
  /// when there is nothing to ask.
  pb::LogsFetch next_fetch();

  /// A round's results. Returns the warnings to show (docker's text, each
  /// node or unscheduled task once).
  std::vector<std::string> absorb(const pb::LogsFetchReply& reply);

  /// Up to `max` lines that may go out now, oldest first.
  std::vector<pb::LogLine> take(size_t max);

  /// Whether the last round left a task with more to read now (the caller
  /// then fetches again without waiting).
  bool busy() const;

  /// Not following: every task is read to its end and its lines taken.
  bool done() const;

private:
  struct task_cursor {
    pb::LogLine meta; // task id, name and node name of every line
    std::string node_id;
    bool started = false;
    uint64_t offset = 0;
    uint64_t until = 0; // not following: where the output ended at first
    std::deque<pb::NodeLogLine> buf;
    bool read = false;     // a reply came for it
    bool more = true;      // its node said more (or it was never read)
    bool terminal = false; // its state is terminal: one last read
    bool final_read = false;
    bool finished = false; // nothing more to read
  };

  bool blocks(const task_cursor& t) const;
  bool wanted(const task_cursor& t) const;
  void add_task(const pb::Task& t, const pb::ControlReply& r, bool initial);
  void absorb_node(const pb::NodeLogsResult& res,
                   std::vector<std::string>& warnings);

  pb::LogsRequest req_;
  session_config cfg_;
  bool resolved_ = false;
  uint64_t round_ = 0;
  std::map<std::string, task_cursor> tasks_;  // by task id
  std::map<std::string, std::string> addrs_;  // node id -> cluster address
  std::map<std::string, uint64_t> failed_;    // node id -> round it failed
  std::set<std::string> warned_;              // nodes and tasks warned of
  std::vector<std::string> pending_warnings_; // unscheduled tasks
};

/// docker's warning for a node that did not answer.
std::string node_unavailable(const std::string& node);

/// docker's warning for a task that has no node yet.
std::string not_scheduled(const std::string& task_id);

/// docker's text for an incomplete stream: "warning: incomplete log stream.
/// some logs could not be retrieved for the following reasons: " and the
/// reasons joined by ", ".
std::string incomplete_stream(const std::vector<std::string>& reasons);

} // namespace actorswarm::logs
