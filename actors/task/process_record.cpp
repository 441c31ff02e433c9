#include "actors/task/process_record.hpp"

#include <sstream>

namespace actorswarm::task {

std::string encode_record(const process_record& x) {
  return std::to_string(x.pid) + " " + std::to_string(x.start_time_ticks) + " "
         + std::to_string(x.pgid);
}

std::optional<process_record> decode_record(const std::string& x) {
  std::istringstream in{x};
  process_record r;
  if (!(in >> r.pid >> r.start_time_ticks >> r.pgid) || r.pid <= 0)
    return std::nullopt;
  return r;
}

} // namespace actorswarm::task
