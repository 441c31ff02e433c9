#include "actors/ca/join_token.hpp"

#include <catch2/catch.hpp>

#include "messages/ids.hpp"

using namespace actorswarm;
using namespace actorswarm::ca;

namespace {

const std::string malformed_text
  = "invalid join token: expected SWMTKN-1-<digest>-<secret>";
const std::string mismatch_text
  = "invalid join token: it does not match this swarm's current tokens "
    "(rotated, or from another swarm)";

// A CA digest (32 bytes) and secrets (16 bytes) made of one repeated byte.
std::string digest(char c) {
  return std::string(32, c);
}

std::string secret(char c) {
  return std::string(16, c);
}

pb::Cluster cluster_with(const std::string& worker,
                         const std::string& manager) {
  pb::Cluster c;
  c.set_id("c1");
  c.mutable_join_tokens()->set_worker(worker);
  c.mutable_join_tokens()->set_manager(manager);
  return c;
}

bool is_base36(const std::string& x) {
  return x.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz")
         == std::string::npos;
}

} // namespace

TEST_CASE("join token: SWMTKN-1-<50 base-36 digest>-<25 base-36 secret>",
          "[unit]") {
  auto t = make_token(digest('\xab'), secret('\x01'));
  CHECK(t.size() == 9 + 50 + 1 + 25);
  CHECK(t.rfind("SWMTKN-1-", 0) == 0);
  auto parts = parse_token(t);
  REQUIRE(parts);
  CHECK(parts->digest == base36_encode(digest('\xab'), 50));
  CHECK(parts->secret == base36_encode(secret('\x01'), 25));
  CHECK(is_base36(parts->digest));
  CHECK(is_base36(parts->secret));
  // The largest digest and secret still fit their widths.
  auto max = make_token(digest('\xff'), secret('\xff'));
  CHECK(max.size() == t.size());
  CHECK(parse_token(max));
  // Same inputs, same token; another secret, another token.
  CHECK(make_token(digest('\xab'), secret('\x01')) == t);
  CHECK(make_token(digest('\xab'), secret('\x02')) != t);
}

TEST_CASE("join token: malformed tokens are refused", "[unit]") {
  auto good = make_token(digest('\x11'), secret('\x22'));
  auto parts = *parse_token(good);
  std::vector<std::pair<const char*, std::string>> cases = {
    {"empty", ""},
    {"prefix only", "SWMTKN-1-"},
    {"another version", "SWMTKN-2-" + parts.digest + "-" + parts.secret},
    {"lower-case prefix", "swmtkn-1-" + parts.digest + "-" + parts.secret},
    {"no secret", "SWMTKN-1-" + parts.digest},
    {"empty secret", "SWMTKN-1-" + parts.digest + "-"},
    {"short digest", "SWMTKN-1-" + parts.digest.substr(1) + "-" + parts.secret},
    {"long secret", good + "0"},
    {"short secret", good.substr(0, good.size() - 1)},
    {"extra part", good + "-x"},
    {"upper case", "SWMTKN-1-" + parts.digest + "-" + std::string(25, 'A')},
    {"not base 36", "SWMTKN-1-" + parts.digest + "-" + std::string(25, '_')},
    {"leading space", " " + good},
    {"trailing newline", good + "\n"},
  };
  auto c = cluster_with(good, good);
  for (auto& [what, token] : cases) {
    INFO(what << ": \"" << token << "\"");
    auto p = parse_token(token);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == errc::invalid_token);
    CHECK(p.error().message == malformed_text);
    // check_token refuses with the same words before comparing.
    auto r = check_token(c, token);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == malformed_text);
  }
}

TEST_CASE("join token: the token names the role", "[unit]") {
  auto worker = make_token(digest('\x11'), secret('\x01'));
  auto manager = make_token(digest('\x11'), secret('\x02'));
  auto c = cluster_with(worker, manager);
  auto w = check_token(c, worker);
  REQUIRE(w);
  CHECK(*w == pb::NodeSpec::WORKER);
  auto m = check_token(c, manager);
  REQUIRE(m);
  CHECK(*m == pb::NodeSpec::MANAGER);
}

TEST_CASE("join token: rotated and foreign tokens are refused", "[unit]") {
  auto worker = make_token(digest('\x11'), secret('\x01'));
  auto manager = make_token(digest('\x11'), secret('\x02'));
  auto c = cluster_with(worker, manager);
  SECTION("a rotated worker token stops working; the manager token not") {
    c.mutable_join_tokens()->set_worker(make_token(digest('\x11'),
                                                   secret('\x03')));
    auto old = check_token(c, worker);
    REQUIRE_FALSE(old);
    CHECK(old.error().code == errc::invalid_token);
    CHECK(old.error().message == mismatch_text);
    CHECK(*check_token(c, c.join_tokens().worker()) == pb::NodeSpec::WORKER);
    CHECK(*check_token(c, manager) == pb::NodeSpec::MANAGER);
  }
  SECTION("a rotated manager token stops working") {
    c.mutable_join_tokens()->set_manager(make_token(digest('\x11'),
                                                    secret('\x04')));
    CHECK(check_token(c, manager).error().message == mismatch_text);
    CHECK(*check_token(c, worker) == pb::NodeSpec::WORKER);
  }
  SECTION("another swarm's token: same secret, another CA") {
    auto foreign = make_token(digest('\x12'), secret('\x01'));
    auto r = check_token(c, foreign);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_token);
    CHECK(r.error().message == mismatch_text);
  }
  SECTION("one character off, first or last") {
    for (size_t at : {size_t{9}, worker.size() - 1}) {
      auto guess = worker;
      guess[at] = guess[at] == 'z' ? 'y' : 'z';
      REQUIRE(parse_token(guess));
      CHECK(check_token(c, guess).error().message == mismatch_text);
    }
  }
  SECTION("a swarm without tokens accepts none") {
    auto none = cluster_with("", "");
    CHECK(check_token(none, worker).error().message == mismatch_text);
  }
}

TEST_CASE("join token: the constant-time compare is an equality", "[unit]") {
  struct eq_case {
    std::string a;
    std::string b;
    bool equal;
  };
  std::vector<eq_case> cases = {
    {"", "", true},
    {"abc", "abc", true},
    {"abc", "abd", false}, // last byte
    {"abc", "xbc", false}, // first byte
    {"abc", "ab", false},  // a prefix
    {"ab", "abc", false},
    {"", "a", false},
    {std::string("a\0b", 3), std::string("a\0c", 3), false},
    {std::string("a\0b", 3), std::string("a\0b", 3), true},
    {"\x80", std::string(1, '\0'), false}, // high bit against zero
  };
  for (auto& c : cases) {
    INFO("\"" << c.a << "\" vs \"" << c.b << "\"");
    CHECK(constant_time_equal(c.a, c.b) == c.equal);
    CHECK(constant_time_equal(c.b, c.a) == c.equal);
  }
}
