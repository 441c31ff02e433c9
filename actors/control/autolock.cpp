#include "actors/control/autolock.hpp"

#include "persistence/data_dir.hpp"

namespace actorswarm::control {

status sync_autolock(persistence::data_dir& dir, const pb::Cluster& c) {
  bool want = c.spec().encryption_config().auto_lock_managers()
              && !c.unlock_key().empty();
  if (!want)
    return dir.disable_autolock();
  auto current = dir.unlock_key();
  if (current == c.unlock_key())
    return ok_status();
  auto r = current ? dir.rotate_unlock_key(c.unlock_key())
                   : dir.enable_autolock(c.unlock_key());
  if (!r)
    return r.error();
  return ok_status();
}

} // namespace actorswarm::control
