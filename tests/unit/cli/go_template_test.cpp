#include "cli/output/go_template.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::cli::output;
using oj = nlohmann::ordered_json;

namespace {

const oj& service() {
  static const oj x = oj::parse(R"({
    "ID": "svc1",
    "Spec": {
      "Name": "web",
      "Labels": {"tier": "front", "app": "shop"},
      "TaskTemplate": {"ContainerSpec": {"Args": ["python3", "-m", "x"],
                                         "Env": []}},
      "Mode": {"Replicated": {"Replicas": 3}}
    },
    "UpdateStatus": null,
    "Ratio": 0.5,
    "On": true
  })");
  return x;
}

std::string run(const std::string& tmpl) {
  auto r = expand_template(tmpl, service());
  INFO(tmpl);
  REQUIRE(r);
  return *r;
}

std::string error_of(const std::string& tmpl) {
  auto r = expand_template(tmpl, service());
  INFO(tmpl);
  REQUIRE_FALSE(r);
  return r.error().message;
}

} // namespace

TEST_CASE("go template: field paths print as Go prints them", "[unit]") {
  CHECK(run("{{.Spec.Name}}") == "web");
  CHECK(run("{{ .ID }}:{{.Spec.Mode.Replicated.Replicas}}") == "svc1:3");
  // Maps print sorted as map[k:v], slices as [a b], nil as <no value>.
  CHECK(run("{{.Spec.Labels}}") == "map[app:shop tier:front]");
  CHECK(run("{{.Spec.TaskTemplate.ContainerSpec.Args}}") == "[python3 -m x]");
  CHECK(run("{{.Spec.TaskTemplate.ContainerSpec.Env}}") == "[]");
  CHECK(run("{{.UpdateStatus}}") == "<no value>");
  CHECK(run("{{.Ratio}} {{.On}}") == "0.5 true");
  CHECK(run("{{json .Spec.Labels}}") == R"({"tier":"front","app":"shop"})");
  CHECK(run("{{json .Spec.Mode}}") == R"({"Replicated":{"Replicas":3}})");
  CHECK(run("no actions }}") == "no actions }}");
  CHECK(run("a\n{{.ID}}\n") == "a\nsvc1\n");
}

TEST_CASE("go template: functions docker users reach for", "[unit]") {
  CHECK(run(R"({{index .Spec.Labels "tier"}})") == "front");
  // index of a missing key is the zero value, not an error (Go's index).
  CHECK(run(R"({{index .Spec.Labels "nope"}})") == "<no value>");
  CHECK(run("{{index .Spec.TaskTemplate.ContainerSpec.Args 1}}") == "-m");
  CHECK(run(R"({{join .Spec.TaskTemplate.ContainerSpec.Args " "}})")
        == "python3 -m x");
  CHECK(run(R"({{split "a,b,c" ","}})") == "[a b c]");
  CHECK(run("{{upper .Spec.Name}} {{.Spec.Name | lower}} {{title \"a b\"}}")
        == "WEB web A B");
  CHECK(run("{{println .ID}}") == "svc1\n");
  CHECK(run("{{print .ID 1 2}}") == "svc11 2");
  CHECK(run(R"({{printf "%s=%d %q" .ID 5 .ID}})") == R"(svc1=5 "svc1")");
  CHECK(run("{{len .Spec.Labels}} {{len .Spec.Name}}") == "2 3");
  CHECK(run(R"({{pad .ID 1 2}}|{{truncate .ID 3}})") == " svc1  |svc");
  CHECK(run(R"({{eq .Spec.Name "web"}} {{ne 1 2}} {{lt 1 2}} {{not .On}})")
        == "true true true false");
  CHECK(run("{{and .On .ID}} {{or .UpdateStatus .ID}}") == "svc1 svc1");
  CHECK(run("{{(index .Spec.TaskTemplate.ContainerSpec.Args 0)}}")
        == "python3");
  CHECK(run(R"({{json (index .Spec.Labels "app")}})") == R"("shop")");
}

TEST_CASE("go template: if, else, range, with and variables", "[unit]") {
  CHECK(run("{{if .On}}y{{else}}n{{end}}") == "y");
  CHECK(run("{{if .UpdateStatus}}y{{else}}n{{end}}") == "n");
  CHECK(run("{{if .Spec.TaskTemplate.ContainerSpec.Env}}y{{else if .ID}}id"
            "{{else}}n{{end}}")
        == "id");
  CHECK(run("{{range .Spec.TaskTemplate.ContainerSpec.Args}}<{{.}}>{{end}}")
        == "<python3><-m><x>");
  CHECK(run("{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}} {{end}}")
        == "app=shop tier=front ");
  CHECK(run("{{range $i, $a := .Spec.TaskTemplate.ContainerSpec.Args}}"
            "{{$i}}{{$a}}{{end}}")
        == "0python31-m2x");
  CHECK(run("{{range .Spec.TaskTemplate.ContainerSpec.Env}}x{{else}}none"
            "{{end}}")
        == "none");
  CHECK(run("{{with .Spec}}{{.Name}} {{$.ID}}{{end}}") == "web svc1");
  CHECK(run("{{with .UpdateStatus}}{{.State}}{{else}}idle{{end}}") == "idle");
  CHECK(run("{{$n := .Spec.Name}}{{$n}}-{{$n}}") == "web-web");
  CHECK(run("a  {{- .ID -}}  b") == "asvc1b");
  CHECK(run("{{/* a comment */}}x") == "x");
}

TEST_CASE("go template: a missing field fails as Go's does on docker's raw "
          "JSON",
          "[unit]") {
  CHECK(
    error_of("{{.Foo}}")
    == R"(template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo")");
  CHECK(
    error_of("id {{ .Spec.Nope}}")
    == R"(template: :1:6: executing "" at <.Spec.Nope>: map has no entry for key "Nope")");
  CHECK(
    error_of("a\nb {{.Spec.Name.X}}")
    == R"(template: :2:4: executing "" at <.Spec.Name.X>: can't evaluate field X in type string)");
  CHECK(
    error_of("{{.UpdateStatus.State}}")
    == R"(template: :1:2: executing "" at <.UpdateStatus.State>: nil pointer evaluating interface {}.State)");
  CHECK(
    error_of("{{index .Spec.TaskTemplate.ContainerSpec.Args 9}}")
    == R"(template: :1:2: executing "" at <index>: error calling index: index out of range: 9)");
  CHECK(
    error_of("{{join .ID}}")
    == R"(template: :1:2: executing "" at <join>: wrong number of args for join: want 2 got 1)");
  // Lenient (table headers): a missing field reads <no value>.
  auto t = parse_template("{{.Foo}}|{{.ID}}");
  REQUIRE(t);
  CHECK(*execute_template(*t, service(), true) == "<no value>|svc1");
}

TEST_CASE("go template: parse errors are Go's behind docker's prefix",
          "[unit]") {
  auto err = [](const std::string& tmpl) {
    auto r = parse_template(tmpl);
    INFO(tmpl);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  const std::string p = "template parsing error: template: :";
  CHECK(err("{{.Foo") == p + "1: unclosed action");
  CHECK(err("a\n{{.ID}}\n{{.Name") == p + "3: unclosed action");
  CHECK(err("{{nope .ID}}") == p + "1: function \"nope\" not defined");
  CHECK(err("{{if .ID}}x") == p + "1: unexpected EOF");
  CHECK(err("{{end}}") == p + "1: unexpected {{end}}");
  CHECK(err("{{else}}") == p + "1: unexpected {{else}}");
  CHECK(err("{{$x}}") == p + "1: undefined variable \"$x\"");
  CHECK(err("{{}}") == p + "1: missing value for command");
  CHECK(err("{{\"abc}}") == p + "1: unterminated quoted string");
  CHECK(err("{{.A | }}") == p + "1: missing value for command");
  CHECK(err("{{template \"x\"}}").rfind(p + "1: {{template}}", 0) == 0);
}
