#pragma once

#include <string>
#include <utility>
#include <variant>

#include "messages/errc.hpp"

namespace actorswarm {

/// An operational error with its one-line, user-facing message.
struct failure {
  errc code = errc::internal;
  std::string message;
};

/// What logic returns: a value or an operational failure (STYLE.md R6).
template <class T>
class result {
public:
  result(T x) : value_(std::move(x)) {
    // nop
  }

  result(failure x) : value_(std::move(x)) {
    // nop
  }

  bool ok() const noexcept {
    return value_.index() == 0;
  }

  explicit operator bool() const noexcept {
    return ok();
  }

  T& value() {
    return std::get<0>(value_);
  }

  const T& value() const {
    return std::get<0>(value_);
  }

  T& operator*() {
    return value();
  }

  const T& operator*() const {
    return value();
  }

  T* operator->() {
    return &value();
  }

  const T* operator->() const {
    return &value();
  }

  const failure& error() const {
    return std::get<1>(value_);
  }

private:
  std::variant<T, failure> value_;
};

/// A result without a value.
struct unit_t {};
using status = result<unit_t>;

inline status ok_status() {
  return status{unit_t{}};
}

inline failure fail(errc code, std::string message) {
  return failure{code, std::move(message)};
}

} // namespace actorswarm
