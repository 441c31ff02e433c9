// The corpus of invalid compose files (tests/data/compose/invalid/): each
// file's first line holds the one error line `stack deploy` must print
// (`# error: FILE:LINE:COL: text`), and nothing may be converted from it.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "cli/compose/compose.hpp"
#include "cli/compose/convert.hpp"

using namespace actorswarm::cli::compose;

namespace {

std::string error_of(const std::string& path) {
  auto c = load({path}, env_lookup{});
  if (!c)
    return c.error().message;
  auto objs = convert(*c, "st");
  if (!objs)
    return objs.error().message;
  return "(no error)";
}

std::string strip_dir(std::string x, const std::string& dir) {
  for (auto at = x.find(dir); at != std::string::npos; at = x.find(dir))
    x.erase(at, dir.size());
  return x;
}

} // namespace

TEST_CASE("compose corpus: each invalid file fails with its line", "[unit]") {
  std::string dir = AS_COMPOSE_DATA "/invalid/";
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::string first;
    std::getline(in, first);
    REQUIRE(first.rfind("# error: ", 0) == 0);
    INFO(e.path().filename().string());
    CHECK(strip_dir(error_of(e.path().string()), dir) == first.substr(9));
    ++files;
  }
  CHECK(files >= 25);
}
