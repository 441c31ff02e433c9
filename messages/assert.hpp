#pragma once

#include <cstdio>
#include <cstdlib>

/// Invariant check that stays on in release builds (STYLE.md R6): a broken
/// invariant means corrupt state, and the only safe reaction is to stop.
#define AS_ASSERT(expr)                                                        \
  do {                                                                         \
    if (!(expr)) {                                                             \
      std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,          \
                   __LINE__, #expr);                                           \
      std::abort();                                                            \
    }                                                                          \
  } while (false)

/// Fail-stop for IO that must not fail (a synced write, a rename): log and
/// abort, never acknowledge.
#define AS_FAIL_STOP(what)                                                     \
  do {                                                                         \
    std::fprintf(stderr, "%s:%d: fatal: %s\n", __FILE__, __LINE__,             \
                 std::string(what).c_str());                                   \
    std::abort();                                                              \
  } while (false)
