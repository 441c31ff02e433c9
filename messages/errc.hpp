#pragma once

#include <cstdint>
#include <string>

namespace actorswarm {

/// Operational errors: the caller can act on each (STYLE.md R6). Values travel
/// in ControlReply.code, so never renumber them.
enum class errc : uint8_t {
  /// Success; not an error.
  none = 0,
  /// This manager is not the Raft leader and could not forward the request.
  not_leader = 1,
  /// An update named a version that is no longer current.
  stale_version = 2,
  /// No object matches the given id, id prefix or name.
  not_found = 3,
  /// A service or object with that name already exists.
  name_conflict = 4,
  /// A spec failed validation (bad replicas, constraint, duration, ...).
  invalid_spec = 5,
  /// The image is not one this node can run (only `host` for now).
  unsupported_image = 6,
  /// An id prefix matches more than one object.
  ambiguous = 7,
  /// The node is not part of a swarm yet.
  not_in_swarm = 8,
  /// The node is already part of a swarm.
  already_in_swarm = 9,
  /// The cluster has no leader or no quorum: writes are refused.
  no_quorum = 10,
  /// A join token is malformed or does not match this cluster.
  invalid_token = 11,
  /// The request is malformed (unknown request kind, bad frame).
  bad_request = 12,
  /// The operation would break an invariant (e.g. lose quorum).
  refused = 13,
  /// An internal timeout waiting on another component.
  timeout = 14,
  /// Something failed inside the daemon; see its log.
  internal = 15,
  /// Another node could not be reached on its cluster address.
  unavailable = 16,
  /// The data dir is damaged (a corrupt database, log entry or snapshot):
  /// the daemon refuses to start on it (persistence/startup_error.hpp).
  data_corrupt = 17,
  /// The disk of the data dir is full (ENOSPC): the write was refused and
  /// nothing of it was stored; reads go on, and writes succeed again once
  /// there is space.
  no_space = 18,
  /// The request reached a leader that lost leadership (or could no longer
  /// be heard) before it answered: the change may or may not be applied.
  /// Look at the state before retrying.
  unknown_outcome = 19,
};

/// Short stable name of an error code, e.g. "stale_version".
const char* to_string(errc x);

} // namespace actorswarm
