#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace actorswarm::raft {

/// Outcome of an election (etcd quorum.VoteResult).
enum class vote_result { pending, lost, won };

/// Largest index acknowledged by a majority of `match` (one value per
/// voter); 0 for no voters. Raft §5.3 (etcd quorum/majority.go).
uint64_t majority_index(std::vector<uint64_t> match);

/// Tallies `votes` (id -> granted) of `voters`: won with a majority of
/// grants, lost once a majority can no longer be reached, else pending.
vote_result majority_vote(const std::vector<uint64_t>& voters,
                          const std::map<uint64_t, bool>& votes);

/// Number of votes that make a majority of `n` voters.
inline size_t quorum_size(size_t n) {
  return n / 2 + 1;
}

} // namespace actorswarm::raft
