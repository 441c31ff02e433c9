#include <catch2/catch.hpp>

#include "cli/output/table.hpp"
#include "cli/output/views.hpp"

using namespace actorswarm;
using namespace actorswarm::cli::output;

namespace {

constexpr int64_t sec_ns = 1'000'000'000;

pb::Node make_node(const std::string& id, const std::string& host, bool manager,
                   bool leader) {
  pb::Node n;
  n.set_id(id);
  n.mutable_description()->set_hostname(host);
  n.mutable_description()->set_engine_version("0.1.0");
  n.mutable_status()->set_state(pb::NodeStatus::READY);
  if (manager) {
    n.set_role(pb::NodeSpec::MANAGER);
    n.mutable_manager_status()->set_leader(leader);
    n.mutable_manager_status()->set_reachability(pb::ManagerStatus::REACHABLE);
  }
  return n;
}

pb::Task make_task(const std::string& id, uint64_t slot, pb::TaskState st,
                   pb::TaskState desired, int64_t created_s,
                   const std::string& err = "") {
  pb::Task t;
  t.set_id(id);
  t.set_service_name("web");
  t.set_slot(slot);
  t.set_node_id("n1");
  t.mutable_spec()->mutable_container()->set_image("host");
  t.mutable_meta()->set_created_at_ns(created_s * sec_ns);
  t.mutable_status()->set_state(st);
  t.mutable_status()->set_timestamp_ns(created_s * sec_ns);
  t.mutable_status()->set_err(err);
  t.set_desired_state(desired);
  return t;
}

} // namespace

TEST_CASE("render_table pads like Go's tabwriter(10, 1, 3)", "[unit]") {
  auto out = render_table({{"ID", "NAME", "X"},
                           {"abc", "a-very-long-name", ""}});
  CHECK(out
        == "ID        NAME               X\n"
           "abc       a-very-long-name   \n");
  // UTF-8 counts as one column per code point.
  CHECK(render_table({{"A", "B"}, {"\xE2\x80\xA6xxxxxxxxxx", "c"}})
        == "A             B\n\xE2\x80\xA6xxxxxxxxxx   c\n");
}

TEST_CASE("node ls: docker's columns and the self marker", "[unit]") {
  std::vector<pb::Node> nodes{
    make_node("bbbbbbbbbbbbbbbbbbbbbbbbb", "worker1", false, false),
    make_node("aaaaaaaaaaaaaaaaaaaaaaaaa", "manager1", true, true)};
  auto out = *render_listing(node_listing(nodes, "aaaaaaaaaaaaaaaaaaaaaaaaa"),
                             "", false);
  CHECK(out
        == "ID                            HOSTNAME   STATUS    AVAILABILITY   "
           "MANAGER STATUS   ENGINE VERSION\n"
           "aaaaaaaaaaaaaaaaaaaaaaaaa *   manager1   Ready     Active         "
           "Leader           0.1.0\n"
           "bbbbbbbbbbbbbbbbbbbbbbbbb     worker1    Ready     Active         "
           "                 0.1.0\n");
  auto json = *render_listing(node_listing(nodes, "x"), "json", false);
  CHECK(json.find(R"("Hostname":"manager1")") != std::string::npos);
  CHECK(json.find(R"("Self":false)") != std::string::npos);
  CHECK(std::count(json.begin(), json.end(), '\n') == 2);
  CHECK(*render_listing(node_listing(nodes, ""), "{{.Hostname}}", false)
        == "manager1\nworker1\n");
  CHECK(*render_listing(node_listing(nodes, ""), "", true)
        == "aaaaaaaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbbbbbbb\n");
}

TEST_CASE("service ls: replicas running/desired, sorted by name", "[unit]") {
  std::vector<pb::ServiceEntry> entries(2);
  auto* s = entries[0].mutable_service();
  s->set_id("zzzzzzzzzzzzzzzzzzzzzzzzz");
  s->mutable_spec()->set_name("web");
  s->mutable_spec()->mutable_task()->mutable_container()->set_image("host");
  entries[0].set_running(2);
  entries[0].set_desired(3);
  s = entries[1].mutable_service();
  s->set_id("yyyyyyyyyyyyyyyyyyyyyyyyy");
  s->mutable_spec()->set_name("agent");
  s->mutable_spec()->set_mode(pb::ServiceSpec::GLOBAL);
  s->mutable_spec()->mutable_task()->mutable_container()->set_image("host");
  entries[1].set_running(1);
  entries[1].set_desired(1);
  auto out = *render_listing(service_listing(entries), "", false);
  CHECK(out
        == "ID             NAME      MODE         REPLICAS   IMAGE     PORTS\n"
           "yyyyyyyyyyyy   agent     global       1/1        host      \n"
           "zzzzzzzzzzzz   web       replicated   2/3        host      \n");
  auto json = *render_listing(service_listing(entries), "json", false);
  CHECK(
    json.substr(0, json.find('\n'))
    == R"({"ID":"yyyyyyyyyyyy","Image":"host","Mode":"global","Name":"agent","Ports":"","Replicas":"1/1"})");
}

TEST_CASE("service ps: history rows, state age, error truncation", "[unit]") {
  std::vector<pb::Task> tasks{
    make_task("t1aaaaaaaaaaaaaaaaaaaaaaa", 1, pb::FAILED, pb::SHUTDOWN, 100,
              "task: non-zero exit (1): the process failed badly"),
    make_task("t2aaaaaaaaaaaaaaaaaaaaaaa", 1, pb::RUNNING, pb::RUNNING, 110),
    make_task("t3aaaaaaaaaaaaaaaaaaaaaaa", 2, pb::RUNNING, pb::RUNNING, 120)};
  std::map<std::string, std::string> names{{"n1", "node-1"}};
  auto l = task_listing(tasks, names, 123 * sec_ns, false);
  auto out = *render_listing(l, "", false);
  CHECK(out
        == "ID             NAME        IMAGE     NODE      DESIRED STATE   "
           "CURRENT STATE            ERROR                              PORTS\n"
           "t2aaaaaaaaaa   web.1       host      node-1    Running         "
           "Running 13 seconds ago                                      \n"
           "t1aaaaaaaaaa    \\_ web.1   host      node-1    Shutdown        "
           "Failed 23 seconds ago    \"task: non-zero exit (1): the "
           "\xE2\x80\xA6\"   \n"
           "t3aaaaaaaaaa   web.2       host      node-1    Running         "
           "Running 3 seconds ago                                       \n");
  auto full = task_listing(tasks, names, 123 * sec_ns, true);
  CHECK(full.rows[1]["Error"]
        == "\"task: non-zero exit (1): the process failed badly\"");
  CHECK(full.rows[1]["ID"] == "t1aaaaaaaaaaaaaaaaaaaaaaa");
}

TEST_CASE("CURRENT STATE wording", "[unit]") {
  pb::TaskStatus st;
  st.set_state(pb::RUNNING);
  st.set_timestamp_ns(10 * sec_ns);
  CHECK(task_current_state(st, 10 * sec_ns)
        == "Running less than a second ago");
  CHECK(task_current_state(st, 11 * sec_ns) == "Running 1 second ago");
  CHECK(task_current_state(st, 80 * sec_ns) == "Running about a minute ago");
  st.set_state(pb::PENDING);
  CHECK(task_current_state(st, 13 * sec_ns) == "Pending 3 seconds ago");
}

TEST_CASE("inspect JSON is an array of docker's objects, 4-space indented",
          "[unit]") {
  pb::Service s;
  s.set_id("abc");
  s.mutable_spec()->set_name("web");
  s.mutable_spec()->set_replicas(3);
  auto text = *render_inspect({inspect_view(s)}, "");
  CHECK(text.rfind("[\n    {\n        \"ID\": \"abc\",\n", 0) == 0);
  auto j = nlohmann::json::parse(text);
  REQUIRE(j.is_array());
  CHECK(j[0]["Spec"]["Name"] == "web");
  CHECK(j[0]["Spec"]["Mode"]["Replicated"]["Replicas"] == 3);
  // --format json: the compact array on one line.
  CHECK(*render_inspect({inspect_view(s)}, "json")
        == "[" + nlohmann::ordered_json(inspect_view(s).raw).dump() + "]\n");
  auto pretty = service_pretty(s);
  CHECK(pretty.find("Service Mode:\tReplicated\n Replicas:\t3\n")
        != std::string::npos);
}
