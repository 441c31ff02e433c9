#include "cli/compose/interpolation.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace actorswarm::cli::compose;

namespace {

env_lookup env_of(std::map<std::string, std::string> xs) {
  return [xs](const std::string& k) -> std::optional<std::string> {
    auto it = xs.find(k);
    if (it == xs.end())
      return std::nullopt;
    return it->second;
  };
}

std::string sub(const std::string& x) {
  auto r = substitute(x, env_of({{"SET", "v"}, {"EMPTY", ""}, {"_x1", "u"}}));
  INFO(x << ": " << (r ? "" : r.error().message));
  REQUIRE(r);
  return *r;
}

std::string sub_err(const std::string& x) {
  auto r = substitute(x, env_of({{"SET", "v"}, {"EMPTY", ""}}));
  REQUIRE_FALSE(r);
  return r.error().message;
}

} // namespace

TEST_CASE("compose interpolation: every form of docker's template", "[unit]") {
  CHECK(sub("plain") == "plain");
  CHECK(sub("$SET") == "v");
  CHECK(sub("a-$SET-b") == "a-v-b");
  CHECK(sub("${SET}") == "v");
  CHECK(sub("$_x1/${_x1}") == "u/u");
  CHECK(sub("$UNSET") == "");
  CHECK(sub("${UNSET}") == "");
  // :- unset or empty; - unset only.
  CHECK(sub("${UNSET:-d}") == "d");
  CHECK(sub("${EMPTY:-d}") == "d");
  CHECK(sub("${SET:-d}") == "v");
  CHECK(sub("${UNSET-d}") == "d");
  CHECK(sub("${EMPTY-d}") == "");
  CHECK(sub("${SET-d}") == "v");
  CHECK(sub("${UNSET:-a b-c}") == "a b-c");
  // ? and :? pass when set.
  CHECK(sub("${SET:?e}") == "v");
  CHECK(sub("${EMPTY?e}") == "");
  CHECK(sub("$$SET") == "$SET");
  CHECK(sub("$${SET}") == "${SET}");
  CHECK(sub("cost: $$5") == "cost: $5");
}

TEST_CASE("compose interpolation: docker's errors", "[unit]") {
  CHECK(sub_err("${UNSET:?need it}")
        == "required variable UNSET is missing a value: need it");
  CHECK(sub_err("${EMPTY:?need it}")
        == "required variable EMPTY is missing a value: need it");
  CHECK(sub_err("${UNSET?need it}")
        == "required variable UNSET is missing a value: need it");
  // Bad syntax reports the whole template.
  CHECK(sub_err("a ${") == "a ${");
  CHECK(sub_err("a $") == "a $");
  CHECK(sub_err("${1x}") == "${1x}");
  CHECK(sub_err("${X!}") == "${X!}");
  CHECK(sub_err("$-") == "$-");
  CHECK(interpolation_error("services.web.image", "${")
        == "invalid interpolation format for services.web.image: \"${\"; you "
           "may need to escape any $ with another $");
}

TEST_CASE("compose env files: docker's kvfile format", "[unit]") {
  auto r = parse_env_file("\xEF\xBB\xBF"
                          "A=1\n  # comment\n\nB=two words\r\nC\nD\nE=\n",
                          env_of({{"C", "from env"}}));
  REQUIRE(r);
  CHECK(*r
        == std::vector<std::string>{"A=1", "B=two words", "C=from env", "E="});
  auto bad = parse_env_file("=x\n", env_lookup{});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "no variable name on line '=x'");
  auto ws = parse_env_file("A B=1\n", env_lookup{});
  REQUIRE_FALSE(ws);
  CHECK(ws.error().message
        == "poorly formatted environment: variable 'A B' contains whitespaces");
}
