#pragma once

// Go's JSON encoding rules for the converters of docker_json.hpp: one
// struct's fields in order, with or without `omitempty`. Pure.

#include <cstdint>
#include <string>
#include <utility>

#include <google/protobuf/map.h>
#include <google/protobuf/repeated_ptr_field.h>
#include <nlohmann/json.hpp>

#include "cli/output/docker_json.hpp"

namespace actorswarm::cli::output::detail {

using oj = nlohmann::ordered_json;

/// Go's omitempty test: false, 0, "", null, empty list or map.
bool go_empty(const oj& v);

/// One Go struct being encoded, fields added in Go's order.
class go_struct {
public:
  explicit go_struct(go_view view) : view_(view) {
    // nop
  }

  /// A string, number, bool, slice or map field with `omitempty`.
  void opt(const char* key, oj v);

  /// A field without omitempty, or a struct value (never empty to Go).
  void req(const char* key, oj v);

  /// A pointer field with omitempty: `v` null when nil.
  void ptr(const char* key, oj v);

  oj done() {
    return std::move(j_);
  }

private:
  go_view view_;
  oj j_ = oj::object();
};

/// map[string]string, keys sorted.
oj string_map(const google::protobuf::Map<std::string, std::string>& xs);

/// []string.
oj strings(const google::protobuf::RepeatedPtrField<std::string>& xs);

/// swarm.Version {Index}.
oj version(uint64_t index, go_view view);

} // namespace actorswarm::cli::output::detail
