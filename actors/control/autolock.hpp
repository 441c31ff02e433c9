#pragma once

// Autolock on one manager (SwarmKit's manager/encryption, driven by the
// cluster object): the cluster says whether managers lock their Raft data
// and under which unlock key; each manager brings its own data dir in line
// once it applies the change. No CAF: the control actor calls it for every
// applied batch that touches the cluster.

#include <string>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::persistence {
class data_dir;
} // namespace actorswarm::persistence

namespace actorswarm::control {

/// Makes `dir` match `c`: autolock on with unlock key K seals the Raft log
/// and snapshots under a DEK wrapped by K (turned on, or the key rotated to
/// K); off makes them plain and unlocks the dir. A no-op when they already
/// match, so calling it for every batch is cheap. A failure is an IO error
/// or a key that does not parse (the data dir then stays as it was or is
/// finished by its next open; see data_dir.hpp).
status sync_autolock(persistence::data_dir& dir, const pb::Cluster& c);

} // namespace actorswarm::control
