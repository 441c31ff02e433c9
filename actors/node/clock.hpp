#pragma once

// The one wall clock (DESIGN.md, Time). Logic never reads a clock: the actor
// glue asks this interface and passes `now_ns` to logic. The daemon uses the
// system clock; tests inject a manual one.

#include <atomic>
#include <cstdint>

namespace actorswarm::node {

/// Source of wall-clock time, ns since the Unix epoch.
class clock {
public:
  virtual ~clock() = default;
  virtual int64_t now_ns() const = 0;
};

/// std::chrono::system_clock.
class system_clock final : public clock {
public:
  int64_t now_ns() const override;
};

/// A clock tests move by hand.
class manual_clock final : public clock {
public:
  explicit manual_clock(int64_t start_ns = 1'700'000'000'000'000'000)
    : now_(start_ns) {
    // nop
  }

  int64_t now_ns() const override {
    return now_.load();
  }

  void advance_ns(int64_t d) {
    now_ += d;
  }

private:
  std::atomic<int64_t> now_;
};

/// The process-wide system clock instance.
clock& default_clock();

} // namespace actorswarm::node
