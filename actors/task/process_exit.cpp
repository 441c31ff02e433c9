#include "actors/task/process_exit.hpp"

namespace actorswarm::task {

const char* const exit_unknown_text
  = "exit status unknown (adopted after daemon restart)";

std::string to_string(const process_exit& x) {
  if (!x.known)
    return exit_unknown_text;
  if (x.signal != 0)
    return "killed by signal " + std::to_string(x.signal);
  return "exit code " + std::to_string(x.exit_code);
}

} // namespace actorswarm::task
