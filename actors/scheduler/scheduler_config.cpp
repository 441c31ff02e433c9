#include "actors/scheduler/scheduler_config.hpp"

namespace actorswarm::scheduler {

status scheduler_config::validate() const {
  if (failure_window_ns <= 0)
    return fail(errc::invalid_spec,
                "scheduler failure window must be positive");
  if (max_failures > 1000)
    return fail(errc::invalid_spec,
                "scheduler max failures must be at most 1000");
  return ok_status();
}

} // namespace actorswarm::scheduler
