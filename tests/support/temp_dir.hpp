#pragma once

// A temp dir a test owns (mkdtemp under /tmp, removed with everything in it
// at the end of the test), and reading a whole file, for tests that look at
// what the code wrote.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include <catch2/catch.hpp>

namespace actorswarm::test {

struct temp_dir {
  std::string path;

  /// `prefix` names the test in /tmp (e.g. "as-ctl-listen").
  explicit temp_dir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

/// The whole content of `path` ("" when it cannot be read).
inline std::string read_all(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace actorswarm::test
