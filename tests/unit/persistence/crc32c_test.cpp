#include "persistence/crc32c.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace actorswarm::persistence;

TEST_CASE("crc32c: matches the RFC 3720 check values", "[unit]") {
  std::string digits = "123456789";
  CHECK(crc32c_extend(0, digits.data(), digits.size()) == 0xe3069283u);
  std::string zeros(32, '\0');
  CHECK(crc32c_extend(0, zeros.data(), zeros.size()) == 0x8a9136aau);
  std::string ones(32, '\xff');
  CHECK(crc32c_extend(0, ones.data(), ones.size()) == 0x62a8ab43u);
}

TEST_CASE("crc32c: extending in pieces equals one pass", "[unit]") {
  std::string data;
  for (int i = 0; i < 1000; ++i)
    data.push_back(static_cast<char>(i * 7));
  auto whole = crc32c_extend(0, data.data(), data.size());
  for (size_t cut : {0, 1, 7, 8, 9, 500, 999}) {
    auto part = crc32c_extend(0, data.data(), cut);
    CHECK(crc32c_extend(part, data.data() + cut, data.size() - cut) == whole);
  }
}
