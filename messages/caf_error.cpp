#include "messages/caf_error.hpp"

#include "caf/sec.hpp"

namespace actorswarm {

failure to_failure(const caf::error& err) {
  if (err.category() == errc_category) {
    std::string msg;
    if (err.context().match_elements<std::string>())
      msg = err.context().get_as<std::string>(0);
    return failure{static_cast<errc>(err.code()), msg};
  }
  if (err == caf::sec::request_timeout)
    return failure{errc::timeout, "request timed out inside the daemon"};
  return failure{errc::internal, "internal error: " + caf::to_string(err)};
}

} // namespace actorswarm
