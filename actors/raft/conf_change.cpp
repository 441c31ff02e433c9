#include "actors/raft/conf_change.hpp"

#include <algorithm>

namespace actorswarm::raft {

std::vector<uint64_t> voter_ids(const pb::ConfState& cs) {
  std::vector<uint64_t> out;
  out.reserve(cs.voters_size());
  for (const auto& m : cs.voters())
    out.push_back(m.raft_id());
  std::sort(out.begin(), out.end());
  return out;
}

bool is_voter(const pb::ConfState& cs, uint64_t id) {
  for (const auto& m : cs.voters())
    if (m.raft_id() == id)
      return true;
  return false;
}

status apply_conf_change(pb::ConfState& cs, const pb::ConfChange& cc) {
  auto id = cc.member().raft_id();
  if (id == 0)
    return fail(errc::invalid_spec, "raft id 0 in a membership change");
  auto* voters = cs.mutable_voters();
  auto i = std::find_if(voters->begin(), voters->end(),
                        [id](const pb::Member& m) {
                          return m.raft_id() == id;
                        });
  if (cc.type() == pb::ConfChange::ADD_NODE) {
    if (i != voters->end())
      *i = cc.member();
    else
      *cs.add_voters() = cc.member();
  } else if (i != voters->end()) {
    voters->erase(i);
  }
  return ok_status();
}

std::vector<pb::Entry> bootstrap_entries(const std::vector<pb::Member>& xs) {
  std::vector<pb::Entry> out;
  uint64_t index = 0;
  for (const auto& m : xs) {
    pb::ConfChange cc;
    cc.set_type(pb::ConfChange::ADD_NODE);
    *cc.mutable_member() = m;
    pb::Entry e;
    e.set_term(1);
    e.set_index(++index);
    e.set_type(pb::Entry::CONF_CHANGE);
    e.set_data(cc.SerializeAsString());
    out.push_back(std::move(e));
  }
  return out;
}

pb::HardState bootstrap_hard_state(size_t num_voters) {
  pb::HardState hs;
  hs.set_term(1);
  hs.set_commit(num_voters);
  return hs;
}

} // namespace actorswarm::raft
