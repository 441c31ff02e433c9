#pragma once

// Bridges actorswarm::errc into caf::error (STYLE.md R6): actors reply with
// make_error(errc, message); the control actor turns it back into
// ControlReply.code/error.

#include <string>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/make_message.hpp"

#include "messages/errc.hpp"
#include "messages/result.hpp"

namespace actorswarm {

/// The error category of actorswarm errors in caf::error.
constexpr caf::atom_value errc_category = caf::atom("actorswarm");

/// A caf::error carrying `code` and its one-line message.
inline caf::error make_error(errc code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), errc_category,
                    caf::make_message(std::move(message))};
}

inline caf::error make_error(const failure& x) {
  return make_error(x.code, x.message);
}

/// Converts any caf::error back into an operational failure.
failure to_failure(const caf::error& err);

} // namespace actorswarm
