#pragma once

#include <cstdint>
#include <vector>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::raft {

/// Raft ids of the voters, ascending.
std::vector<uint64_t> voter_ids(const pb::ConfState& cs);

/// Whether `id` is a voter in `cs`.
bool is_voter(const pb::ConfState& cs, uint64_t id);

/// Applies one single-server change (Raft thesis §4.1) to `cs`. Adding a
/// present member updates its address; removing an absent one is a no-op.
/// Fails with errc::invalid_spec for raft id 0.
status apply_conf_change(pb::ConfState& cs, const pb::ConfChange& cc);

/// Log entries that bootstrap a new cluster: one ADD_NODE per voter at
/// indexes 1..n, term 1 (etcd's Bootstrap). Every initial member writes the
/// same entries and a hard state {term 1, vote 0, commit n}.
std::vector<pb::Entry> bootstrap_entries(const std::vector<pb::Member>& xs);

/// The hard state that goes with bootstrap_entries(xs).
pb::HardState bootstrap_hard_state(size_t num_voters);

} // namespace actorswarm::raft
