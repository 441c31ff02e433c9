#include "messages/log.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace actorswarm {

std::shared_ptr<spdlog::logger> logger(const char* name) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  if (auto x = spdlog::get(name))
    return x;
  auto x = spdlog::stderr_color_mt(name);
  x->set_level(spdlog::get_level());
  return x;
}

} // namespace actorswarm
