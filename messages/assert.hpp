#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace actorswarm {

/// What AS_ASSERT and AS_FAIL_STOP call after printing their line; must not
/// return. Null (the daemon): std::abort. The simulation (tests/sim/) sets
/// one that throws, so that a node that stops (or cannot restart) is a
/// result it reports with its seed instead of a dead test process.
using fatal_handler = void (*)(const char* file, int line, const char* what);
inline fatal_handler on_fatal = nullptr;

/// Prints "<file>:<line>: <what>" and stops (on_fatal, else abort).
[[noreturn]] inline void fatal_stop(const char* file, int line,
                                    const char* what) {
  std::fprintf(stderr, "%s:%d: %s\n", file, line, what);
  if (on_fatal)
    on_fatal(file, line, what);
  std::abort();
}

} // namespace actorswarm

/// Invariant check that stays on in release builds (STYLE.md R6): a broken
/// invariant means corrupt state, and the only safe reaction is to stop.
#define AS_ASSERT(expr)                                                        \
  do {                                                                         \
    if (!(expr))                                                               \
      ::actorswarm::fatal_stop(__FILE__, __LINE__,                             \
                               "assertion failed: " #expr);                    \
  } while (false)

/// Fail-stop for IO that must not fail (a synced write, a rename): log and
/// abort, never acknowledge.
#define AS_FAIL_STOP(what)                                                     \
  do {                                                                         \
    ::actorswarm::fatal_stop(__FILE__, __LINE__,                               \
                             ("fatal: " + std::string(what)).c_str());         \
  } while (false)
