#include "actors/task/privileges.hpp"

#include <catch2/catch.hpp>

#include "actors/task/process_spawn.hpp"
#include "os/credentials.hpp"

#include <cerrno>

using namespace actorswarm;
using namespace actorswarm::task;

namespace {

uint64_t bit(int n) {
  return uint64_t{1} << n;
}

uint64_t mask(std::vector<std::string> add, std::vector<std::string> drop) {
  auto m = capability_mask(add, drop);
  REQUIRE(m.ok());
  return *m;
}

} // namespace

TEST_CASE("privileges: capability names parse with or without CAP_, in any "
          "case",
          "[unit]") {
  CHECK(*parse_capability("CHOWN") == 0);
  CHECK(*parse_capability("cap_chown") == 0);
  CHECK(*parse_capability("net_admin") == 12);
  CHECK(*parse_capability("CAP_NET_ADMIN") == 12);
  CHECK(*parse_capability(" Sys_Admin ") == 21);
  CHECK(*parse_capability("checkpoint_restore") == capability_last);
  for (int b = 0; b <= capability_last; ++b)
    CHECK(*parse_capability(capability_name(b)) == b);
  CHECK(capability_name(capability_last + 1).empty());
  CHECK(capability_name(-1).empty());
}

TEST_CASE("privileges: an unknown capability is refused in docker's words",
          "[unit]") {
  for (auto [in, text] : std::vector<std::pair<std::string, std::string>>{
         {"foo", "unknown capability: \"CAP_FOO\""},
         {"CAP_", "unknown capability: \"CAP_\""},
         {"", "unknown capability: \"CAP_\""},
         {"ALL", "unknown capability: \"ALL\""},
         {"RESET", "unknown capability: \"RESET\""},
         {"NET ADMIN", "unknown capability: \"CAP_NET ADMIN\""}}) {
    INFO(in);
    auto r = parse_capability(in);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::invalid_spec);
    CHECK(r.error().message == text);
  }
  auto m = capability_mask({"NET_ADMIN", "bogus"}, {});
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message == "unknown capability: \"CAP_BOGUS\"");
  CHECK_FALSE(capability_mask({}, {"nope"}).ok());
}

TEST_CASE("privileges: the default set is docker's fourteen capabilities",
          "[unit]") {
  CHECK(mask({}, {}) == default_capabilities_mask);
  CHECK(capability_names(default_capabilities_mask)
        == std::vector<std::string>{"CAP_CHOWN", "CAP_DAC_OVERRIDE",
                                    "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                                    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
                                    "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                                    "CAP_SYS_CHROOT", "CAP_MKNOD",
                                    "CAP_AUDIT_WRITE", "CAP_SETFCAP"});
}

TEST_CASE("privileges: --cap-add and --cap-drop change the default set as "
          "docker's TweakCapabilities does",
          "[unit]") {
  auto dflt = default_capabilities_mask;
  CHECK(mask({"NET_ADMIN"}, {}) == (dflt | bit(12)));
  CHECK(mask({}, {"chown", "CAP_KILL"}) == (dflt & ~bit(0) & ~bit(5)));
  // Adding one already there, dropping one not there: no change.
  CHECK(mask({"CHOWN"}, {"SYS_ADMIN"}) == dflt);
  // Dropped from the defaults, then added: added.
  CHECK(mask({"KILL"}, {"KILL"}) == dflt);
  CHECK(mask({"ALL"}, {}) == all_capabilities_mask);
  CHECK(mask({"all"}, {"SYS_ADMIN"}) == (all_capabilities_mask & ~bit(21)));
  CHECK(mask({}, {"ALL"}) == 0);
  CHECK(mask({"NET_BIND_SERVICE"}, {"ALL"}) == bit(10));
  // ALL added wins over ALL dropped, as in moby.
  CHECK(mask({"ALL"}, {"ALL"}) == all_capabilities_mask);
}

TEST_CASE("privileges: names normalize as docker's CLI does", "[unit]") {
  CHECK(normalize_capability("net_admin") == "CAP_NET_ADMIN");
  CHECK(normalize_capability(" cap_kill\t") == "CAP_KILL");
  CHECK(normalize_capability("all") == "ALL");
  CHECK(normalize_capability("reset") == "RESET");
}

TEST_CASE("privileges: --user takes UID[:GID] and NAME[:GROUP]", "[unit]") {
  struct ok_case {
    std::string in, user, group;
  };
  for (const auto& c : std::vector<ok_case>{{"65534", "65534", ""},
                                            {"1000:1000", "1000", "1000"},
                                            {"nobody", "nobody", ""},
                                            {"www-data:adm", "www-data", "adm"},
                                            {"0:nogroup", "0", "nogroup"},
                                            {"svc_1.x$", "svc_1.x$", ""},
                                            {"2147483647", "2147483647", ""}}) {
    INFO(c.in);
    auto u = parse_user(c.in);
    REQUIRE(u.ok());
    CHECK(u->user == c.user);
    CHECK(u->group == c.group);
  }
  CHECK(is_numeric_id("0"));
  CHECK_FALSE(is_numeric_id("1a"));
  CHECK_FALSE(is_numeric_id(""));
}

TEST_CASE("privileges: a malformed --user is one clear error", "[unit]") {
  const std::string format = "the format is UID[:GID] or NAME[:GROUP]";
  const std::string range = "uids and gids must be in range 0-2147483647";
  const std::string chars = "a name may hold only [A-Za-z0-9._-], up to 256 "
                            "characters, not starting with '-'";
  for (auto [in, why] : std::vector<std::pair<std::string, std::string>>{
         {":", format},
         {":1000", format},
         {"1000:", format},
         {"a:b:c", format},
         {"2147483648", range},
         {"1:99999999999", range},
         {"-x", chars},
         {"a b", chars},
         {"root;id", chars},
         {"$", chars},
         {std::string(257, 'a'), chars}}) {
    INFO(in);
    auto u = parse_user(in);
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().code == errc::invalid_spec);
    CHECK(u.error().message == "invalid user \"" + in + "\": " + why);
  }
}

TEST_CASE("privileges: the gate's credentials argument round-trips", "[unit]") {
  uint32_t groups[3] = {65534, 4, 27};
  os::credentials c;
  c.caps = default_capabilities_mask;
  char buf[256];
  REQUIRE(os::format_credentials(c, buf, sizeof(buf)));
  CHECK(std::string(buf) == "a80425fb");
  c.set_user = true;
  c.uid = 65534;
  c.gid = 65534;
  c.groups = groups;
  c.group_count = 3;
  REQUIRE(os::format_credentials(c, buf, sizeof(buf)));
  CHECK(std::string(buf) == "a80425fb:65534:65534:65534,4,27");
  uint32_t back_groups[8] = {};
  os::credentials back;
  REQUIRE(os::parse_credentials(buf, back, back_groups, 8));
  CHECK(back.set_user);
  CHECK(back.caps == default_capabilities_mask);
  CHECK(back.uid == 65534);
  CHECK(back.gid == 65534);
  REQUIRE(back.group_count == 3);
  CHECK(back.groups[2] == 27);
  c.group_count = 0;
  REQUIRE(os::format_credentials(c, buf, sizeof(buf)));
  CHECK(std::string(buf) == "a80425fb:65534:65534:");
  REQUIRE(os::parse_credentials(buf, back, back_groups, 8));
  CHECK(back.group_count == 0);
  // Too small a buffer, and text that is not ours.
  CHECK_FALSE(os::format_credentials(c, buf, 8));
  for (const char* bad :
       {"", "xyz", "ff:", "ff:1", "ff:1:2", "ff:1:2:3,", "ff:-1:2:", "ff:1:2:a",
        "ff:1:2:1,2,3,4,5,6,7,8,9", "ff:4294967296:0:"}) {
    INFO(bad);
    CHECK_FALSE(os::parse_credentials(bad, back, back_groups, 8));
  }
}

TEST_CASE("privileges: a failed user or capability step is named in the "
          "task's error",
          "[unit]") {
  auto text = [](spawn_stage stage, int err) {
    spawn_error_record rec{static_cast<int32_t>(stage), err};
    return describe(rec, "/bin/sh", "/", "1000:1000");
  };
  CHECK(text(spawn_stage::user, EPERM)
        == "task: set user \"1000:1000\": Operation not permitted");
  CHECK(text(spawn_stage::caps, EPERM)
        == "task: set capabilities: Operation not permitted");
  CHECK(text(spawn_stage::args, EINVAL)
        == "task: the start gate does not understand its arguments (is "
           "actorswarm-gate from the same build?)");
}
