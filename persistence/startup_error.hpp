#pragma once

#include "messages/errc.hpp"

namespace actorswarm::persistence {

/// Exit code of a daemon that refuses to start because its data dir is
/// corrupt (errc::data_corrupt): it printed one line naming the file.
constexpr int data_dir_corrupt_exit = 3;

/// Exit code of a daemon that cannot open its data dir because the disk is
/// full (errc::no_space); it starts again once there is space.
constexpr int data_dir_full_exit = 4;

/// The exit code for a data dir that could not be opened with `x`: the two
/// above, 1 for everything else.
constexpr int startup_exit_code(errc x) {
  return x == errc::data_corrupt ? data_dir_corrupt_exit
         : x == errc::no_space   ? data_dir_full_exit
                                 : 1;
}

} // namespace actorswarm::persistence
