// --mount of `service create`, --mount-add/--mount-rm of `service update`
// (docker's opts/mount.go and updateMounts) and the Mounts block of
// `service inspect --pretty`.

#include "cli/mount_spec.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include "cli/output/views.hpp"
#include "cli/service_spec.hpp"
#include "cli/service_update.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

pb::Mount mount(pb::Mount::Type type, const std::string& source,
                const std::string& target, bool ro = false) {
  pb::Mount m;
  m.set_type(type);
  m.set_source(source);
  m.set_target(target);
  m.set_read_only(ro);
  return m;
}

std::string error_of(const std::string& value) {
  auto m = cli::parse_mount_opt("--mount", value);
  REQUIRE_FALSE(m);
  return m.error().message;
}

std::string flag_error(const std::string& value, const std::string& msg) {
  return "invalid argument \"" + value + "\" for \"--mount\" flag: " + msg;
}

} // namespace

TEST_CASE("cli mounts: --mount takes docker's keys, aliases and default type",
          "[unit]") {
  for (const char* value : {"type=bind,src=/source,dst=/target",
                            "type=bind,source=/source,target=/target",
                            "type=bind,source=/source,destination=/target",
                            "Type=BIND,Source=/source,Target=/target",
                            "\"type=bind\",\"source=/source\",target=/target",
                            "type=bind,source=/source,target=/target,"
                            "consistency=cached"}) {
    INFO(value);
    auto m = cli::parse_mount_opt("--mount", value);
    REQUIRE(m);
    CHECK(m->type() == pb::Mount::BIND);
    CHECK(m->source() == "/source");
    CHECK(m->target() == "/target");
    CHECK_FALSE(m->read_only());
  }
  auto v = cli::parse_mount_opt("--mount", "source=data,target=/srv");
  REQUIRE(v);
  CHECK(v->type() == pb::Mount::VOLUME);
  CHECK(v->source() == "data");
  // A source starting with "." is a path made absolute (filepath.Abs).
  auto cwd = std::filesystem::current_path().string();
  auto rel = cli::parse_mount_opt("--mount", "type=bind,src=./x/..,dst=/t");
  REQUIRE(rel);
  CHECK(rel->source() == cwd);
  rel = cli::parse_mount_opt("--mount", "type=bind,src=./sub,dst=/t");
  REQUIRE(rel);
  CHECK(rel->source() == cwd + "/sub");
}

TEST_CASE("cli mounts: readonly and ro take docker's booleans", "[unit]") {
  struct row {
    const char* field;
    bool ro;
  };
  for (auto r : {row{"", false}, row{",readonly", true}, row{",ro", true},
                 row{",readonly=1", true}, row{",readonly=true", true},
                 row{",readonly=0", false}, row{",ro=false", false},
                 row{",ro=true", true}}) {
    INFO(r.field);
    auto m = cli::parse_mount_opt(
      "--mount", std::string("type=bind,target=/foo,source=/foo") + r.field);
    REQUIRE(m);
    CHECK(m->read_only() == r.ro);
  }
  std::string base = "type=bind,target=/foo,source=/foo";
  CHECK(error_of(base + ",readonly=")
        == flag_error(base + ",readonly=",
                      "invalid value for 'readonly': value is empty"));
  CHECK(error_of(base + ",readonly=no")
        == flag_error(base + ",readonly=no",
                      "invalid value for 'readonly': invalid boolean value "
                      "(\"no\"): must be one of \"true\", \"1\", \"false\", "
                      "or \"0\" (default \"true\")"));
  CHECK(error_of(base + ",readonly= true")
        == flag_error(base + ",readonly= true",
                      "invalid value for 'readonly' in 'readonly= true': "
                      "value should not have whitespace"));
}

TEST_CASE("cli mounts: bad --mount values fail with docker's texts", "[unit]") {
  struct row {
    std::string value;
    std::string message;
  };
  std::vector<row> rows = {
    {"", "value is empty"},
    {"  ", "value is empty"},
    {"x", "invalid field 'x' must be a key=value pair"},
    {"type=volume,target=/foo,bogus=foo",
     "unknown option 'bogus' in 'bogus=foo'"},
    {"type=volume,target=/foo,bogus",
     "invalid field 'bogus' must be a key=value pair"},
    {"type=volume, src=/foo,target=/foo",
     "invalid option 'src' in ' src=/foo': option should not have "
     "whitespace"},
    {"type=volume,src =/foo,target=/foo",
     "invalid option 'src' in 'src =/foo': option should not have "
     "whitespace"},
    {"type=volume,src=,target=/foo", "invalid value for 'src': value is empty"},
    {"type=volume,src= /foo,target=/foo",
     "invalid value for 'src' in 'src= /foo': value should not have "
     "whitespace"},
    {"type=volume,src=/foo ,target=/foo",
     "invalid value for 'src' in 'src=/foo ': value should not have "
     "whitespace"},
    {"type=bind,source=/foo", "target is required"},
    {"type=tmpfs,target=/foo",
     "mount type 'tmpfs' is not supported by the host runtime (only bind and "
     "volume)"},
    {"type=weird,target=/foo",
     "invalid mount config for type \"weird\": mount type unknown"},
    {"type=bind,source=/foo,target=/foo,bind-propagation=rshared",
     "mount option 'bind-propagation' is not supported by the host runtime "
     "(only type, source, target and readonly)"},
    {"type=bind,source=/foo,target=/foo,bind-nonrecursive",
     "bind-nonrecursive is deprecated, use bind-recursive=disabled instead"},
    {"type=bind,sou\"rce=/foo,target=/foo",
     "parse error on line 1, column 14: bare \" in non-quoted-field"},
    {"type=bind,\"source=/foo\"x,target=/foo",
     "parse error on line 1, column 23: extraneous or missing \" in "
     "quoted-field"},
    {"type=bind,\"source=/foo", "parse error on line 1, column 23: extraneous "
                                "or missing \" in quoted-field"},
  };
  for (const auto& r : rows) {
    INFO(r.value);
    CHECK(error_of(r.value) == flag_error(r.value, r.message));
  }
}

TEST_CASE("cli mounts: service create --mount is repeatable and checked "
          "before anything is sent",
          "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    r.add_ids("svc1");
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"service", "create", "-d", "--mount",
                 "type=bind,source=/var/www,target=/srv,readonly", "--mount",
                 "source=data,target=/data", "host", "sleep", "1"})
          == 0);
  REQUIRE(d.requests.size() == 1);
  const auto& c = d.requests[0].service_create().spec().task().container();
  REQUIRE(c.mounts_size() == 2);
  CHECK(
    c.mounts(0).SerializeAsString()
    == mount(pb::Mount::BIND, "/var/www", "/srv", true).SerializeAsString());
  CHECK(c.mounts(1).SerializeAsString()
        == mount(pb::Mount::VOLUME, "data", "/data").SerializeAsString());
  // After IMAGE, --mount belongs to the task's command.
  CHECK(c.command_size() == 2);

  fake_daemon bad;
  CHECK(bad.run({"service", "create", "--mount", "x", "host", "sleep", "1"})
        == 1);
  CHECK(bad.requests.empty());
  CHECK(bad.err.str().find("invalid argument \"x\" for \"--mount\" flag: "
                           "invalid field 'x' must be a key=value pair")
        != std::string::npos);
}

TEST_CASE("cli mounts: --mount-add replaces by target, --mount-rm removes by "
          "target, the list sorted by source",
          "[unit]") {
  google::protobuf::RepeatedPtrField<pb::Mount> ms;
  *ms.Add() = mount(pb::Mount::BIND, "/z", "/srv");
  *ms.Add() = mount(pb::Mount::VOLUME, "logs", "/logs");
  *ms.Add() = mount(pb::Mount::BIND, "/a", "/old");
  // Nothing given: nothing changes (not even the order).
  REQUIRE(cli::update_mounts(ms, {}, {}));
  CHECK(ms.Get(0).source() == "/z");
  REQUIRE(cli::update_mounts(ms, {"type=bind,src=/www,dst=/srv,ro"},
                             {"/old/"}));
  REQUIRE(ms.size() == 2);
  CHECK(ms.Get(0).SerializeAsString()
        == mount(pb::Mount::BIND, "/www", "/srv", true).SerializeAsString());
  CHECK(ms.Get(1).SerializeAsString()
        == mount(pb::Mount::VOLUME, "logs", "/logs").SerializeAsString());
  auto dup = cli::update_mounts(
    ms, {"type=bind,src=/a,dst=/x", "type=bind,src=/b,dst=/x"}, {});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message == "duplicate mount target");
  auto bad = cli::update_mounts(ms, {"type=bind,src=/a"}, {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message
        == "invalid argument \"type=bind,src=/a\" for \"--mount-add\" flag: "
           "target is required");
}

TEST_CASE("cli mounts: service update sends the edited mounts", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_service_inspect()) {
      auto& s = *r.add_services()->mutable_service();
      s.set_id("s1");
      s.mutable_meta()->set_version(7);
      s.mutable_spec()->set_name("web");
      auto& c = *s.mutable_spec()->mutable_task()->mutable_container();
      c.set_image("host");
      c.add_command("sleep");
      *c.add_mounts() = mount(pb::Mount::BIND, "/a", "/srv");
    }
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"service", "update", "-d", "--mount-add",
                 "source=vol,target=/data", "--mount-rm", "/srv", "web"})
          == 0);
  REQUIRE(d.requests.size() == 2);
  const auto& c = d.requests[1].service_update().spec().task().container();
  REQUIRE(c.mounts_size() == 1);
  CHECK(c.mounts(0).SerializeAsString()
        == mount(pb::Mount::VOLUME, "vol", "/data").SerializeAsString());
  fake_daemon bad;
  CHECK(bad.run({"service", "update", "--mount-add", "x", "web"}) == 1);
  CHECK(bad.requests.size() <= 1); // the inspect at most, never an update
  CHECK(bad.err.str().find(
          "invalid argument \"x\" for \"--mount-add\" flag: invalid field 'x' "
          "must be a key=value pair")
        != std::string::npos);
}

TEST_CASE("cli mounts: inspect --pretty shows docker's Mounts block",
          "[unit]") {
  pb::Service s;
  s.set_id("s1");
  auto& c = *s.mutable_spec()->mutable_task()->mutable_container();
  c.set_image("host");
  c.add_capability_add("CAP_NET_ADMIN");
  *c.add_mounts() = mount(pb::Mount::BIND, "/var/www", "/srv", true);
  *c.add_mounts() = mount(pb::Mount::VOLUME, "data", "/data");
  s.mutable_spec()
    ->mutable_task()
    ->mutable_resources()
    ->mutable_limits()
    ->set_memory_bytes(64 << 20);
  auto text = cli::output::service_pretty(s);
  CHECK(text.find("Capabilities:\n Add: CAP_NET_ADMIN\n"
                  "Mounts:\n"
                  " Target:\t/srv\n  Source:\t/var/www\n  ReadOnly:\ttrue\n"
                  "  Type:\t\tbind\n"
                  " Target:\t/data\n  Source:\tdata\n  ReadOnly:\tfalse\n"
                  "  Type:\t\tvolume\n"
                  "Resources:\n")
        != std::string::npos);
  c.clear_mounts();
  CHECK(cli::output::service_pretty(s).find("Mounts:") == std::string::npos);
}
