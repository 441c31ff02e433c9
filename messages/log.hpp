#pragma once

// One named spdlog logger per component (STYLE.md R11), created on first use
// so tests and embedders need no set-up. Fields as key=value.

#include <memory>

#include <spdlog/spdlog.h>

namespace actorswarm {

/// The logger named `name` ("store", "dispatcher", ...), created on demand
/// with the default sink.
std::shared_ptr<spdlog::logger> logger(const char* name);

} // namespace actorswarm
