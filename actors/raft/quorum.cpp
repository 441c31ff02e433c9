#include "actors/raft/quorum.hpp"

#include <algorithm>
#include <functional>

namespace actorswarm::raft {

uint64_t majority_index(std::vector<uint64_t> match) {
  if (match.empty())
    return 0;
  // Sorted descending, the quorum_size-th value is held by a majority.
  std::sort(match.begin(), match.end(), std::greater<>{});
  return match[quorum_size(match.size()) - 1];
}

vote_result majority_vote(const std::vector<uint64_t>& voters,
                          const std::map<uint64_t, bool>& votes) {
  if (voters.empty())
    return vote_result::won; // etcd: an empty config wins every vote
  size_t granted = 0;
  size_t rejected = 0;
  for (auto id : voters) {
    auto i = votes.find(id);
    if (i == votes.end())
      continue;
    if (i->second)
      ++granted;
    else
      ++rejected;
  }
  auto q = quorum_size(voters.size());
  if (granted >= q)
    return vote_result::won;
  if (voters.size() - rejected >= q)
    return vote_result::pending;
  return vote_result::lost;
}

} // namespace actorswarm::raft
