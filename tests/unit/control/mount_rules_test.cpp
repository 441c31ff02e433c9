// The control rules for --mount (task::validate_mounts through
// validate_service_spec): docker's texts, targets and bind sources stored
// cleaned, and a refused create or update stores nothing.

#include "actors/control/service_rules.hpp"

#include <catch2/catch.hpp>

#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_spec;
using actorswarm::test::now_ns;
using actorswarm::test::view_builder;

namespace {

pb::Mount mount(pb::Mount::Type type, const std::string& source,
                const std::string& target) {
  pb::Mount m;
  m.set_type(type);
  m.set_source(source);
  m.set_target(target);
  return m;
}

pb::ServiceSpec with_mounts(std::vector<pb::Mount> ms) {
  auto s = make_spec("web", 1);
  for (auto& m : ms)
    *s.mutable_task()->mutable_container()->add_mounts() = m;
  return s;
}

const auto bind = pb::Mount::BIND;
const auto volume = pb::Mount::VOLUME;

} // namespace

TEST_CASE("control rules: mounts are refused with docker's texts", "[unit]") {
  struct row {
    const char* what;
    std::vector<pb::Mount> mounts;
    std::string message;
  };
  std::vector<row> rows = {
    {"no target",
     {mount(bind, "/a", "")},
     "invalid mount config for type \"bind\": field Target must not be "
     "empty"},
    {"target /",
     {mount(bind, "/a", "/")},
     "invalid mount config for type \"bind\": invalid specification: "
     "destination can't be '/'"},
    {"target / in disguise",
     {mount(volume, "data", "/srv/..")},
     "invalid mount config for type \"volume\": invalid specification: "
     "destination can't be '/'"},
    {"relative target",
     {mount(bind, "/a", "srv")},
     "invalid mount config for type \"bind\": invalid mount path: 'srv' "
     "mount path must be absolute"},
    {"target /proc",
     {mount(bind, "/a", "/proc")},
     "invalid mount config for type \"bind\": invalid specification: "
     "destination can't be '/proc' (/proc, /sys and /dev are the host's)"},
    {"target below /sys",
     {mount(bind, "/a", "/sys/fs/cgroup/")},
     "invalid mount config for type \"bind\": invalid specification: "
     "destination can't be '/sys/fs/cgroup' (/proc, /sys and /dev are the "
     "host's)"},
    {"target /dev",
     {mount(volume, "data", "//dev")},
     "invalid mount config for type \"volume\": invalid specification: "
     "destination can't be '/dev' (/proc, /sys and /dev are the host's)"},
    {"bind without source",
     {mount(bind, "", "/srv")},
     "invalid mount config for type \"bind\": field Source must not be "
     "empty"},
    {"relative bind source",
     {mount(bind, "www", "/srv")},
     "invalid mount config for type \"bind\": invalid mount path: 'www' "
     "mount path must be absolute"},
    {"anonymous volume",
     {mount(volume, "", "/srv")},
     "invalid mount config for type \"volume\": a volume needs a name "
     "(source=NAME): the host runtime has no anonymous volumes"},
    {"volume name of one character",
     {mount(volume, "a", "/srv")},
     "create a: volume name is too short, names should be at least two "
     "alphanumeric characters"},
    {"volume name with a slash",
     {mount(volume, "a/b", "/srv")},
     "create a/b: \"a/b\" includes invalid characters for a local volume "
     "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
     "to pass a host directory, use absolute path"},
    {"volume name starting with a dot",
     {mount(volume, ".data", "/srv")},
     "create .data: \".data\" includes invalid characters for a local volume "
     "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
     "to pass a host directory, use absolute path"},
    {"a newline in a path",
     {mount(bind, "/a\nb", "/srv")},
     "invalid mount config for type \"bind\": mount paths must not contain "
     "a newline"},
    {"two mounts on one target",
     {mount(bind, "/a", "/srv"), mount(volume, "data", "/srv/")},
     "duplicate mount point: /srv"},
  };
  for (auto& r : rows) {
    INFO(r.what);
    auto spec = with_mounts(r.mounts);
    auto st = validate_service_spec(spec);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == errc::invalid_spec);
    CHECK(st.error().message == r.message);
  }
  std::vector<pb::Mount> many(65, mount(volume, "data", "/srv"));
  for (size_t i = 0; i < many.size(); ++i)
    many[i].set_target("/srv/" + std::to_string(i));
  auto spec = with_mounts(many);
  auto st = validate_service_spec(spec);
  REQUIRE_FALSE(st);
  CHECK(st.error().message
        == "too many mounts: 65 (a task of the host runtime may have 64)");
}

TEST_CASE("control rules: valid mounts are stored with cleaned paths",
          "[unit]") {
  view_builder b;
  std::mt19937_64 gen{7};
  auto spec = with_mounts({mount(bind, "/var/www/", "/srv/./html/"),
                           mount(volume, "db_data-1.x", "/var/lib/db")});
  auto d = create_service(b.view(), spec, gen, now_ns);
  REQUIRE(d);
  const auto& c = d->batch.actions(0).service().spec().task().container();
  REQUIRE(c.mounts_size() == 2);
  CHECK(c.mounts(0).source() == "/var/www");
  CHECK(c.mounts(0).target() == "/srv/html");
  CHECK(c.mounts(1).source() == "db_data-1.x");
  CHECK(c.mounts(1).target() == "/var/lib/db");
}

TEST_CASE("control rules: an update with a bad mount stores nothing",
          "[unit]") {
  view_builder b;
  b.add(test::make_service("s1", make_spec("web", 1)));
  pb::ServiceUpdateRequest req;
  req.set_ref("web");
  *req.mutable_spec() = with_mounts({mount(bind, "/a", "/proc/sys")});
  auto u = update_service(b.view(), req, now_ns);
  REQUIRE_FALSE(u);
  CHECK(u.error().message
        == "invalid mount config for type \"bind\": invalid specification: "
           "destination can't be '/proc/sys' (/proc, /sys and /dev are the "
           "host's)");
  CHECK((*find_service(b.view(), "web"))
          ->spec()
          .task()
          .container()
          .mounts()
          .empty());
}
