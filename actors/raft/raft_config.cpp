#include "actors/raft/raft_config.hpp"

namespace actorswarm::raft {

status raft_config::validate() const {
  if (id == 0)
    return fail(errc::invalid_spec, "raft id must not be 0");
  if (heartbeat_tick == 0)
    return fail(errc::invalid_spec, "heartbeat tick must be at least 1");
  // etcd: the election timeout must exceed the heartbeat interval, else
  // followers call elections between two heartbeats of a healthy leader.
  if (election_tick <= heartbeat_tick)
    return fail(errc::invalid_spec,
                "election tick must be greater than heartbeat tick");
  if (max_inflight_msgs == 0)
    return fail(errc::invalid_spec, "max inflight messages must be > 0");
  if (max_size_per_msg_bytes == 0)
    return fail(errc::invalid_spec, "max message size must be > 0");
  return ok_status();
}

} // namespace actorswarm::raft
