#pragma once

#include <string>

namespace actorswarm::persistence {

/// Exit code of a daemon that refuses to start because its data dir is
/// corrupt (errc::data_corrupt at start-up): one line on stderr names the
/// data dir and what is wrong; nothing in the dir was changed.
constexpr int data_dir_corrupt_exit = 3;

/// Why the daemon cannot start: a one-line message for stderr.
struct startup_error {
  std::string message;
};

} // namespace actorswarm::persistence
