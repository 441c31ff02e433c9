#include "persistence/at_rest.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::at_rest;

namespace {

std::string key_bytes_of(const key& x) {
  return std::string{reinterpret_cast<const char*>(x.data()), x.size()};
}

void require_refused(const result<std::string>& r, const std::string& label) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::internal);
  CHECK(r.error().message == label + ": " + open_refusal);
}

} // namespace

TEST_CASE("at_rest: a sealed record opens to its plaintext", "[unit]") {
  cipher c{random_key()};
  for (std::string plain :
       {std::string{}, std::string{"x"}, std::string(100000, 'a'),
        std::string{"\0\x01\xff", 3}}) {
    auto sealed = c.seal(plain, "raft-entry/7");
    CHECK(sealed.size() == plain.size() + seal_overhead_bytes);
    CHECK(is_sealed(sealed));
    if (plain.size() > 16)
      CHECK(sealed.find(plain.substr(0, 16)) == std::string::npos);
    auto opened = c.open(sealed, "raft-entry/7");
    REQUIRE(opened);
    CHECK(*opened == plain);
  }
}

TEST_CASE("at_rest: the same plaintext seals differently each time (random "
          "nonce)",
          "[unit]") {
  cipher c{random_key()};
  CHECK(c.seal("same", "l") != c.seal("same", "l"));
}

TEST_CASE("at_rest: another key refuses to open", "[unit]") {
  cipher a{random_key()};
  cipher b{random_key()};
  require_refused(b.open(a.seal("secret", "raft-entry/1"), "raft-entry/1"),
                  "raft-entry/1");
}

TEST_CASE("at_rest: a record under another label refuses to open (no swaps)",
          "[unit]") {
  cipher c{random_key()};
  auto sealed = c.seal("entry one", "raft-entry/1");
  require_refused(c.open(sealed, "raft-entry/2"), "raft-entry/2");
  require_refused(c.open(sealed, "raft-entry/1 "), "raft-entry/1 ");
}

TEST_CASE("at_rest: any flipped byte (head, nonce, ciphertext, tag) is a "
          "refusal",
          "[unit]") {
  cipher c{random_key()};
  auto sealed = c.seal("the state of the swarm", "snap");
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (unsigned char bit : {0x01, 0x80}) {
      auto bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ bit);
      INFO("byte " << i << " bit " << int{bit});
      require_refused(c.open(bad, "snap"), "snap");
    }
  }
}

TEST_CASE("at_rest: a truncated or extended record is a refusal", "[unit]") {
  cipher c{random_key()};
  auto sealed = c.seal("payload", "l");
  for (size_t n = 0; n < sealed.size(); ++n)
    require_refused(c.open(sealed.substr(0, n), "l"), "l");
  require_refused(c.open(sealed + "x", "l"), "l");
  CHECK_FALSE(is_sealed(""));
  CHECK_FALSE(is_sealed("\x08\x01"));
}

TEST_CASE("at_rest: unlock keys print as SWMKEY-1- and parse back", "[unit]") {
  auto k = random_key();
  auto text = format_unlock_key(k);
  CHECK(text.rfind("SWMKEY-1-", 0) == 0);
  CHECK(text.size() == 9 + 43);
  CHECK(text.find('=') == std::string::npos);
  auto parsed = parse_unlock_key("  " + text + "\n");
  REQUIRE(parsed);
  CHECK(same_key(*parsed, k));
  auto padded = parse_unlock_key(text + "=");
  REQUIRE(padded);
  CHECK(same_key(*padded, k));
}

TEST_CASE("at_rest: malformed unlock keys are docker's invalid key", "[unit]") {
  auto good = format_unlock_key(random_key());
  for (const std::string& bad :
       {std::string{}, std::string{"SWMKEY-1-"},
        good.substr(0, good.size() - 1), good + "A",
        "SWMKEY-2-" + good.substr(9), "SWMTKN-1-" + good.substr(9),
        good.substr(0, 20) + "!" + good.substr(21)}) {
    INFO(bad);
    auto r = parse_unlock_key(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::bad_request);
    CHECK(r.error().message == "invalid key");
  }
}

TEST_CASE("at_rest: the DEK unwraps with its unlock key only", "[unit]") {
  auto dek = random_key();
  auto unlock = random_key();
  auto file = wrap_dek(dek, unlock);
  CHECK(file.find(key_bytes_of(dek)) == std::string::npos);
  auto back = unwrap_dek(file, unlock);
  REQUIRE(back);
  CHECK(same_key(back->dek, dek));
  CHECK(back->state == key_state::on);
  auto enabling = unwrap_dek(wrap_dek(dek, unlock, key_state::enabling),
                             unlock);
  REQUIRE(enabling);
  CHECK(enabling->state == key_state::enabling);
  auto wrong = unwrap_dek(file, random_key());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == errc::refused);
  CHECK(wrong.error().message == "invalid key");
}

TEST_CASE("at_rest: a damaged key file is refused, never a wrong DEK",
          "[unit]") {
  auto dek = random_key();
  auto unlock = random_key();
  auto file = wrap_dek(dek, unlock);
  for (size_t i = 0; i < file.size(); ++i) {
    auto bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    INFO("byte " << i);
    CHECK_FALSE(unwrap_dek(bad, unlock));
  }
  CHECK_FALSE(unwrap_dek(file.substr(0, file.size() - 1), unlock));
  CHECK_FALSE(unwrap_dek("", unlock));
  auto state_changed = file;
  state_changed[6] = 'E';
  auto r1 = unwrap_dek(state_changed, unlock);
  REQUIRE_FALSE(r1);
  CHECK(r1.error().message == "invalid key");
  auto v2 = file;
  v2[5] = 2;
  auto r = unwrap_dek(v2, unlock);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "key file of an unsupported version 2");
}

TEST_CASE("at_rest: rotating the unlock key rewraps the DEK, data stays",
          "[unit]") {
  auto old_unlock = random_key();
  auto file = wrap_dek(random_key(), old_unlock);
  auto dek = unwrap_dek(file, old_unlock);
  REQUIRE(dek);
  auto sealed = cipher{dek->dek}.seal("written before the rotation",
                                      "raft-entry/3");
  auto new_unlock = random_key();
  auto rotated = wrap_dek(dek->dek, new_unlock);
  CHECK_FALSE(unwrap_dek(rotated, old_unlock));
  auto dek2 = unwrap_dek(rotated, new_unlock);
  REQUIRE(dek2);
  auto opened = cipher{dek2->dek}.open(sealed, "raft-entry/3");
  REQUIRE(opened);
  CHECK(*opened == "written before the rotation");
}
