#include "actors/node/clock.hpp"

#include <chrono>

namespace actorswarm::node {

int64_t system_clock::now_ns() const {
  auto t = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
}

clock& default_clock() {
  static system_clock instance;
  return instance;
}

} // namespace actorswarm::node
