#pragma once

// The fixture of the actor tests (STYLE.md §3): CAF's test coordinator with
// actorswarm's message types, a manual wall clock, and helpers that work
// under Catch2. CAF's own expect/allow/inject/CAF_CHECK/deref go through
// CAF's test engine, which is not running here, so they crash; this header
// removes the DSL macros and offers drain/ask/advance instead.
//
// Time: actors get `clk` (node::manual_clock) for wall-clock reads and CAF's
// test clock for delayed messages. `advance(d)` moves both by `d`, fires the
// timers that fell due and runs the messages that follow; nothing else ever
// fires a timer, so periodic timers (heartbeats, hb_check) never spin.
// Teardown: every actor passed through `track()` is killed before the
// fixture's own members go, because the actors point at them.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

// CAF first: messages/type_ids.hpp does not compile before caf/all.hpp
// (caf_protobuf.hpp needs caf::error and caf::sec complete).
#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "embed/register_types.hpp"
#include "messages/caf_error.hpp"
#include "messages/type_ids.hpp"

#include "caf/test/dsl.hpp"

// They need CAF's test engine, which Catch2 replaces (STYLE.md §3).
#undef expect
#undef inject
#undef allow
#undef disallow

namespace actorswarm::test {

/// Actor system config with actorswarm's message types registered, as the
/// daemon registers them.
struct actor_test_config : caf::actor_system_config {
  actor_test_config() {
    register_types(*this);
  }
};

/// A reply or the operational failure it carried.
template <class T>
struct reply {
  bool ok = false;
  T value{};
  failure error;
};

/// Deterministic fixture: no thread, no sleep, no real time.
class actor_fixture : public test_coordinator_fixture<actor_test_config> {
public:
  /// Upper bound of messages one drain() may run: a livelock fails the test
  /// instead of hanging it.
  static constexpr size_t drain_messages_max = 100000;

  ~actor_fixture() override {
    for (auto& a : tracked_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run(drain_messages_max);
  }

  /// Registers `x` for teardown and returns it.
  template <class Handle>
  Handle track(Handle x) {
    tracked_.push_back(caf::actor_cast<caf::actor>(x));
    return x;
  }

  /// Runs queued messages (and the messages they cause) until none is left;
  /// fires no timer. Returns how many ran.
  size_t drain() {
    auto n = sched.run(drain_messages_max);
    REQUIRE(n < drain_messages_max);
    return n;
  }

  /// Moves the manual clock and CAF's test clock by `d`, delivers the timers
  /// due by then, and drains.
  void advance(caf::timespan d) {
    clk.advance_ns(d.count());
    advance_time(d);
    drain();
  }

  /// Sends a request from `self`, drains, and returns the reply. Fails the
  /// test (instead of blocking) when no reply arrived.
  template <class T, class Handle, class... Ts>
  reply<T> ask(const Handle& hdl, Ts&&... xs) {
    auto h = self->request(hdl, caf::infinite, std::forward<Ts>(xs)...);
    drain();
    REQUIRE_FALSE(self->mailbox().empty());
    reply<T> out;
    h.receive(
      [&](T& x) {
        out.ok = true;
        out.value = std::move(x);
      },
      [&](caf::error& err) { out.error = to_failure(err); });
    return out;
  }

  /// Like ask(), but requires success and returns the value.
  template <class T, class Handle, class... Ts>
  T ask_ok(const Handle& hdl, Ts&&... xs) {
    auto r = ask<T>(hdl, std::forward<Ts>(xs)...);
    INFO("error: " << r.error.message);
    REQUIRE(r.ok);
    return std::move(r.value);
  }

  /// The wall clock every actor under test reads.
  node::manual_clock clk;

private:
  std::vector<caf::actor> tracked_;
};

} // namespace actorswarm::test
