#pragma once

// The node's side of `service logs` across nodes (issue #11; SwarmKit's
// agent log publisher, pulled instead of pushed): answers a manager's
// NodeLogsRequest from this node's task log files (task_logs.hpp). Stateless:
// the manager sends each task's cursor with every request, so nothing is
// left here when the CLI goes away. Reads files; no CAF, no clock (`now_ns`
// dates lines the index does not cover).
//
// Selection of a task's first read: the start is the later of its tail
// start (the first of its last `tail` lines; all kept lines for -1) and its
// since start (the first line whose index time is at or after since_ns).
// Every line older than since_ns is dropped, also on later reads.
//
// Bounds: one reply holds at most lines_max lines and about bytes_max bytes
// of text (a reply stops after the line that passes it), all tasks
// together; a line longer than line_bytes_max is cut into pieces of that
// size; one request reads at most scan_bytes_max bytes of one task. A task
// the bounds cut short says `more`; one the budget never reached gets an
// empty batch with `more` and its start as next_offset.

#include <cstdint>

#include "actors/task/task_logs.hpp"
#include "messages/logs.pb.h"

namespace actorswarm::logs {

/// The longest line a batch carries whole; longer ones come in pieces.
constexpr uint64_t line_bytes_max = 64 * 1024;

/// Bytes of one task read per request at most (lines dropped by since
/// included), so a request costs bounded IO whatever it asks.
constexpr uint64_t scan_bytes_max = 4 * 1024 * 1024;

/// Answers `req` from `logs`; a task without output here is `missing`.
pb::NodeLogsReply read_node_logs(const task::task_logs& logs,
                                 const pb::NodeLogsRequest& req,
                                 int64_t now_ns);

/// Where a task's first read starts: the later of its tail start and its
/// since start (see above); the end of its output when nothing qualifies.
uint64_t first_offset(const task::task_logs& logs, const std::string& task_id,
                      int64_t tail, int64_t since_ns, int64_t now_ns);

} // namespace actorswarm::logs
