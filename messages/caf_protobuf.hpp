#pragma once

// The one adapter that lets protobuf messages travel inside CAF messages
// (DESIGN.md, Messages): every generated message gets an inspect() that
// serializes through SerializeToString/ParseFromString. No hand-written
// serializers anywhere else.

#include <string>
#include <type_traits>

#include <google/protobuf/message_lite.h>

#include "caf/meta/load_callback.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/sec.hpp"

namespace actorswarm::pb {

template <class Inspector, class T>
std::enable_if_t<std::is_base_of<google::protobuf::MessageLite, T>::value,
                 typename Inspector::result_type>
inspect(Inspector& f, T& x) {
  if constexpr (Inspector::reads_state) {
    std::string buf;
    x.SerializeToString(&buf);
    return f(caf::meta::type_name("pb"), buf);
  } else {
    std::string buf;
    auto load = caf::meta::load_callback([&]() -> caf::error {
      if (!x.ParseFromString(buf))
        return caf::make_error(caf::sec::invalid_argument,
                               "malformed protobuf payload");
      return caf::none;
    });
    return f(caf::meta::type_name("pb"), buf, load);
  }
}

} // namespace actorswarm::pb
