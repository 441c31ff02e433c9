#include "messages/errc.hpp"

namespace actorswarm {

const char* to_string(errc x) {
  switch (x) {
    case errc::none:
      return "none";
    case errc::not_leader:
      return "not_leader";
    case errc::stale_version:
      return "stale_version";
    case errc::not_found:
      return "not_found";
    case errc::name_conflict:
      return "name_conflict";
    case errc::invalid_spec:
      return "invalid_spec";
    case errc::unsupported_image:
      return "unsupported_image";
    case errc::ambiguous:
      return "ambiguous";
    case errc::not_in_swarm:
      return "not_in_swarm";
    case errc::already_in_swarm:
      return "already_in_swarm";
    case errc::no_quorum:
      return "no_quorum";
    case errc::invalid_token:
      return "invalid_token";
    case errc::bad_request:
      return "bad_request";
    case errc::refused:
      return "refused";
    case errc::timeout:
      return "timeout";
    case errc::internal:
      return "internal";
    case errc::unavailable:
      return "unavailable";
    case errc::data_corrupt:
      return "data_corrupt";
    case errc::no_space:
      return "no_space";
    case errc::unknown_outcome:
      return "unknown_outcome";
  }
  return "unknown";
}

} // namespace actorswarm
