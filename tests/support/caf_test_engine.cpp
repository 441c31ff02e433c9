// The one TU of actor_tests that links CAF's test engine (STYLE.md §3):
// test_coordinator_fixture reads engine::argc/argv, which live in
// unit_test_impl.hpp; CAF's own main stays out, Catch2's runs the tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdlib>

#include <spdlog/spdlog.h>

#define CAF_TEST_NO_MAIN
#include "caf/test/unit_test_impl.hpp"

namespace {

// Warnings only: an info line from every store the tests spawn would bury
// Catch2's report. AS_LOG_LEVEL=debug (spdlog's level names) shows all.
const bool log_level_set = [] {
  const char* x = std::getenv("AS_LOG_LEVEL");
  spdlog::set_level(x ? spdlog::level::from_str(x) : spdlog::level::warn);
  return true;
}();

} // namespace
