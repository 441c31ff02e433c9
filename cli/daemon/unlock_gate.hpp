#pragma once

// The daemon of a locked manager (autolock, persistence/data_dir.hpp) before
// `swarm unlock`: it serves the control socket with a stand-in for the
// control actor that answers `info` (locked) and `swarm unlock`, and every
// other request with docker's "Swarm is encrypted and needs to be unlocked"
// text. Nothing of the swarm runs meanwhile: no Raft peer, no store, no
// cluster port, so the manager serves nothing and joins no quorum. Task
// processes started before the restart are left running.

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "caf/fwd.hpp"

#include "actorswarm/control_handle.hpp"

namespace actorswarm::persistence {
class data_dir;
} // namespace actorswarm::persistence

namespace actorswarm::cli {

/// Where the stand-in leaves the data dir a right key opened; `on_unlocked`
/// runs (on an actor's thread) right after it is set. Shared by the gate
/// and the daemon's main thread.
class unlock_slot {
public:
  explicit unlock_slot(std::function<void()> on_unlocked)
    : on_unlocked_(std::move(on_unlocked)) {
    // nop
  }

  /// Sets the dir once (false if it was set), then calls on_unlocked.
  bool fill(std::shared_ptr<persistence::data_dir> dir);

  /// The dir, if a key opened it.
  std::shared_ptr<persistence::data_dir> dir() const;

private:
  mutable std::mutex mu_;
  std::shared_ptr<persistence::data_dir> dir_;
  std::function<void()> on_unlocked_;
};

/// Spawns the stand-in for the data dir at `path`. A `swarm unlock` with a
/// key that opens it fills `slot` (the reply is sent after), a wrong key is
/// answered with docker's "swarm could not be unlocked: invalid key
/// provided", a dir that opens but is corrupt with the one-line refusal
/// (the daemon stays locked).
control_handle spawn_unlock_gate(caf::actor_system& sys, std::string path,
                                 std::shared_ptr<unlock_slot> slot);

} // namespace actorswarm::cli
