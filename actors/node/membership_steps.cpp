#include "actors/node/membership_steps.hpp"

namespace actorswarm::node {

bool retry_join(uint32_t code, int attempt) {
  return code == static_cast<uint32_t>(errc::not_leader)
         && attempt + 1 < join_attempts;
}

catch_up_step after_read(bool fresh, int polls) {
  if (fresh)
    return catch_up_step::done;
  if (polls >= catch_up_polls)
    return catch_up_step::give_up;
  return catch_up_step::poll_again;
}

uint64_t transfer_target(const raft::raft_status& st) {
  for (auto id : st.reachable)
    if (id != st.raft_id)
      return id;
  return 0;
}

transfer_step after_status(uint64_t lead, uint64_t me, int polls) {
  if (lead != 0 && lead != me)
    return transfer_step::forward;
  if (polls >= transfer_polls)
    return transfer_step::give_up;
  return transfer_step::poll_again;
}

failure transfer_timeout() {
  return fail(errc::timeout, "leadership transfer did not complete; try again");
}

} // namespace actorswarm::node
