// Frame assembly of the cluster port's wire (net/frame_reader.hpp): frames
// split anywhere come out whole and in order, and a length above the limit
// fails before anything is allocated for it.

#include "net/frame_reader.hpp"

#include <catch2/catch.hpp>

using actorswarm::net::frame_header;
using actorswarm::net::frame_reader;

namespace {

std::string framed(const std::string& body) {
  return frame_header(static_cast<uint32_t>(body.size())) + body;
}

} // namespace

TEST_CASE("frame reader: frames split at every byte come out whole and in "
          "order, the empty frame included",
          "[unit]") {
  std::string big(70'000, 'x');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);
  auto stream = framed("hello") + framed("") + framed(big) + framed("z");
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4096}, stream.size()}) {
    frame_reader r{1 << 20};
    std::vector<std::string> out;
    bool ok = true;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      auto n = std::min(chunk, stream.size() - pos);
      ok = ok && r.consume(stream.data() + pos, n, out).ok();
    }
    REQUIRE(ok);
    REQUIRE(out.size() == 4);
    CHECK(out[0] == "hello");
    CHECK(out[1].empty());
    CHECK(out[2] == big);
    CHECK(out[3] == "z");
    CHECK(r.buffered() == 0);
  }
}

TEST_CASE("frame reader: a length above the limit fails at once and "
          "nothing is allocated from it",
          "[unit]") {
  frame_reader r{64 << 10};
  std::vector<std::string> out;
  auto stream = framed("ok") + std::string("\xff\xff\xff\xff", 4) + "abc";
  auto st = r.consume(stream.data(), stream.size(), out);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("4294967295 bytes") != std::string::npos);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == "ok");
  CHECK(r.capacity() < 1024);
  // Failed for good: no more bytes are taken.
  CHECK_FALSE(r.consume("x", 1, out));
  CHECK(out.size() == 1);
}

TEST_CASE("frame reader: a large announced length within the limit "
          "holds only the bytes that arrived",
          "[unit]") {
  frame_reader r{uint64_t{1} << 31};
  std::vector<std::string> out;
  auto head = frame_header(uint32_t{1} << 30) + std::string(10, 'a');
  REQUIRE(r.consume(head.data(), head.size(), out));
  CHECK(out.empty());
  CHECK(r.buffered() == 14);
  CHECK(r.capacity() < 1024);
}

TEST_CASE("frame reader: the limit is exact and can change between frames",
          "[unit]") {
  frame_reader r{3};
  std::vector<std::string> out;
  auto at = framed("abc");
  REQUIRE(r.consume(at.data(), at.size(), out));
  r.limit(2);
  CHECK_FALSE(r.consume(at.data(), at.size(), out));
  CHECK(out.size() == 1);
}
