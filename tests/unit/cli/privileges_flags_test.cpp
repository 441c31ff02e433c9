// --user, --cap-add and --cap-drop on `service create` and `service update`,
// and how inspect --pretty shows them.

#include <catch2/catch.hpp>

#include "cli/output/views.hpp"
#include "cli/service_spec.hpp"
#include "cli/service_update.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

using strings = std::vector<std::string>;

strings list(const google::protobuf::RepeatedPtrField<std::string>& xs) {
  return {xs.begin(), xs.end()};
}

// A spec whose lists are `add` and `drop`, as stored.
pb::ServiceSpec with_caps(strings add, strings drop) {
  pb::ServiceSpec s;
  auto& c = *s.mutable_task()->mutable_container();
  for (auto& x : add)
    c.add_capability_add(x);
  for (auto& x : drop)
    c.add_capability_drop(x);
  return s;
}

} // namespace

TEST_CASE("service create sends --user and the effective --cap-add and "
          "--cap-drop lists",
          "[unit]") {
  fake_daemon d;
  REQUIRE(d.run({"service", "create", "-d", "-u", "nobody:nogroup", "--cap-add",
                 "net_admin", "--cap-add=CAP_SYS_TIME", "--cap-drop", "ALL",
                 "--cap-drop", "sys_time", "host", "true"})
          == 0);
  const auto& c = d.requests.at(0).service_create().spec().task().container();
  CHECK(c.user() == "nobody:nogroup");
  CHECK(list(c.capability_add()) == strings{"CAP_NET_ADMIN", "CAP_SYS_TIME"});
  CHECK(list(c.capability_drop()) == strings{"ALL"});
  fake_daemon e;
  REQUIRE(e.run({"service", "create", "-d", "--user", "65534", "host", "true"})
          == 0);
  const auto& c2 = e.requests.at(0).service_create().spec().task().container();
  CHECK(c2.user() == "65534");
  CHECK(c2.capability_add().empty());
  CHECK(c2.capability_drop().empty());
}

TEST_CASE("service create: docker's EffectiveCapAddCapDrop", "[unit]") {
  pb::ContainerSpec c;
  // Added and dropped: added. Duplicates once, sorted.
  cli::effective_caps({"kill", "CHOWN", "cap_kill"}, {"KILL", "mknod"}, c);
  CHECK(list(c.capability_add()) == strings{"CAP_CHOWN", "CAP_KILL"});
  CHECK(list(c.capability_drop()) == strings{"CAP_MKNOD"});
  cli::effective_caps({"all", "net_admin"}, {"ALL"}, c);
  CHECK(list(c.capability_add()) == strings{"ALL"});
  CHECK(c.capability_drop().empty());
}

TEST_CASE("service update edits the capability lists as docker's "
          "updateCapabilities does",
          "[unit]") {
  struct update_case {
    const char* what;
    strings add, drop;         // the service's lists
    strings cap_add, cap_drop; // the flags
    strings want_add, want_drop;
  };
  std::vector<update_case> cases = {
    {"add new", {}, {}, {"net_admin"}, {}, {"CAP_NET_ADMIN"}, {}},
    {"drop new", {}, {}, {}, {"kill"}, {}, {"CAP_KILL"}},
    {"add what was dropped un-drops it",
     {},
     {"CAP_KILL"},
     {"kill"},
     {},
     {},
     {}},
    {"drop what was added un-adds it",
     {"CAP_NET_ADMIN"},
     {},
     {},
     {"NET_ADMIN"},
     {},
     {}},
    {"add and drop in one update: add wins",
     {},
     {},
     {"chown"},
     {"chown"},
     {"CAP_CHOWN"},
     {}},
    {"RESET empties a list first",
     {"CAP_NET_ADMIN", "CAP_SYS_TIME"},
     {"CAP_KILL"},
     {"reset", "CAP_MKNOD"},
     {},
     {"CAP_MKNOD"},
     {"CAP_KILL"}},
    {"ALL is alone in its list", {}, {"CAP_KILL"}, {}, {"all"}, {}, {"ALL"}},
    {"lists end sorted",
     {"CAP_SYS_TIME"},
     {},
     {"CAP_AUDIT_READ"},
     {},
     {"CAP_AUDIT_READ", "CAP_SYS_TIME"},
     {}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto spec = with_caps(c.add, c.drop);
    cli::service_update_flags f;
    f.cap_add = c.cap_add;
    f.cap_drop = c.cap_drop;
    CHECK_FALSE(cli::update_is_empty(f));
    REQUIRE(cli::apply_service_update(f, spec));
    const auto& ct = spec.task().container();
    CHECK(list(ct.capability_add()) == c.want_add);
    CHECK(list(ct.capability_drop()) == c.want_drop);
  }
}

TEST_CASE("service update --user replaces the user, other updates keep it",
          "[unit]") {
  auto spec = with_caps({"CAP_NET_ADMIN"}, {});
  spec.mutable_task()->mutable_container()->set_user("1000");
  cli::service_update_flags f;
  f.replicas = "2";
  REQUIRE(cli::apply_service_update(f, spec));
  CHECK(spec.task().container().user() == "1000");
  CHECK(list(spec.task().container().capability_add())
        == strings{"CAP_NET_ADMIN"});
  cli::service_update_flags u;
  u.user = "nobody";
  CHECK_FALSE(cli::update_is_empty(u));
  REQUIRE(cli::apply_service_update(u, spec));
  CHECK(spec.task().container().user() == "nobody");
}

TEST_CASE("service inspect --pretty shows the user and capabilities as "
          "docker does",
          "[unit]") {
  pb::Service s;
  auto& c = *s.mutable_spec()->mutable_task()->mutable_container();
  c.set_image("host");
  c.set_user("nobody");
  c.add_capability_add("CAP_NET_ADMIN");
  c.add_capability_add("CAP_SYS_TIME");
  c.add_capability_drop("CAP_KILL");
  auto text = cli::output::service_pretty(s);
  CHECK(text.find(" User: nobody\n") != std::string::npos);
  CHECK(text.find("Capabilities:\n Add: CAP_NET_ADMIN, CAP_SYS_TIME\n Drop: "
                  "CAP_KILL\n")
        != std::string::npos);
  c.clear_user();
  c.clear_capability_add();
  c.clear_capability_drop();
  text = cli::output::service_pretty(s);
  CHECK(text.find("User") == std::string::npos);
  CHECK(text.find("Capabilities") == std::string::npos);
}
