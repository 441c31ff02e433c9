// `service logs` at the control socket (net/control_server.hpp): the
// server streams the broker's rounds as reply frames, the first naming the
// service, and a follow ends with its client: once the client hangs up the
// connection's thread is gone and the broker is asked nothing more (the
// nodes hold no state of a call, so nothing is left anywhere). A real
// actor system and real sockets; every wait is bounded.

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "embed/register_types.hpp"
#include "messages/control.pb.h"
#include "messages/logs.pb.h"
#include "messages/type_ids.hpp"
#include "net/control_client.hpp"
#include "net/control_server.hpp"

using namespace actorswarm;

namespace {

// Resolves every logs request to one task web.1 on node n1.
control_handle::behavior_type resolver() {
  return {
    [](control_atom, const pb::ControlRequest&) {
      pb::ControlReply r;
      auto& t = *r.add_tasks();
      t.set_id("t1");
      t.set_service_name("web");
      t.set_slot(1);
      t.set_node_id("n1");
      t.mutable_status()->set_state(pb::RUNNING);
      (*r.mutable_node_names())["n1"] = "host-1";
      auto& e = *r.add_services();
      e.mutable_service()->set_id("s1");
      e.set_desired(3);
      return r;
    },
  };
}

// Answers round k with the line "line k" of every task asked.
logs::log_broker_actor_type::behavior_type
counting_broker(std::shared_ptr<std::atomic<int>> rounds) {
  return {
    [=](logs_fetch_atom, const std::string& bytes) {
      pb::LogsFetch f;
      f.ParseFromString(bytes);
      int k = ++*rounds;
      pb::LogsFetchReply out;
      for (auto& n : f.nodes()) {
        auto& res = *out.add_nodes();
        res.set_node_id(n.node_id());
        res.set_ok(true);
        for (auto& t : n.request().tasks()) {
          auto& b = *res.mutable_reply()->add_tasks();
          b.set_task_id(t.task_id());
          b.set_next_offset(static_cast<uint64_t>(k));
          auto& l = *b.add_lines();
          l.set_timestamp_ns(k);
          l.set_text("line " + std::to_string(k));
        }
      }
      return out.SerializeAsString();
    },
    [](logs_node_atom, const std::string&, logs::node_caller_actor_type&) {},
    [](rpc_atom, int32_t, const std::string&, const std::string&) {
      return std::string{};
    },
  };
}

struct logs_config : caf::actor_system_config {
  logs_config() {
    register_types(*this);
  }
};

struct logs_fixture {
  test::temp_dir dir{"as-ctl-logs"};
  logs_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<std::atomic<int>> rounds
    = std::make_shared<std::atomic<int>>(0);
  control_handle control = sys.spawn(resolver);
  logs::log_broker_actor_type broker = sys.spawn(counting_broker, rounds);
  net::control_server_config scfg;

  logs_fixture() {
    scfg.socket_path = dir.path + "/ctl.sock";
    scfg.group = ::getgid();
    scfg.logs_broker = broker;
    scfg.logs_poll_ms = 10;
  }

  ~logs_fixture() {
    caf::anon_send_exit(control, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
  }

  pb::ControlRequest logs(bool follow) {
    pb::ControlRequest req;
    req.mutable_logs()->set_ref("web");
    req.mutable_logs()->set_follow(follow);
    req.mutable_logs()->set_tail(-1);
    return req;
  }
};

} // namespace

TEST_CASE("control server: service logs streams the broker's lines",
          "[actor]") {
  logs_fixture f;
  net::control_server s{f.sys, f.control, f.scfg};
  REQUIRE(s.start());
  std::vector<pb::ControlReply> frames;
  auto out = net::control_call(
    f.scfg.socket_path, f.logs(false),
    [&](const pb::ControlReply& r) {
      frames.push_back(r);
      return true;
    },
    10000);
  REQUIRE(out.status == net::call_status::ok);
  REQUIRE(frames.size() == 3);
  REQUIRE(frames[0].services_size() == 1);
  CHECK(frames[0].services(0).desired() == 3);
  REQUIRE(frames[1].log_lines_size() == 1);
  auto& l = frames[1].log_lines(0);
  CHECK(l.text() == "line 1");
  CHECK(l.task_name() == "web.1");
  CHECK(l.node_name() == "host-1");
  CHECK(l.task_id() == "t1");
  CHECK_FALSE(frames[2].more());
  CHECK(*f.rounds == 1);
}

TEST_CASE("control server: a follow ends with its client and asks nothing "
          "after",
          "[actor]") {
  logs_fixture f;
  net::control_server s{f.sys, f.control, f.scfg};
  REQUIRE(s.start());
  int lines = 0;
  auto out = net::control_call(
    f.scfg.socket_path, f.logs(true),
    [&](const pb::ControlReply& r) {
      lines += r.log_lines_size();
      return lines < 3; // the CLI goes (Ctrl-C) after three lines
    },
    10000);
  REQUIRE(out.status == net::call_status::stopped);
  // The connection's thread sees the hang-up within a poll period.
  for (int i = 0; i < 400 && s.connections() > 0; ++i)
    ::poll(nullptr, 0, 25);
  REQUIRE(s.connections() == 0);
  int seen = *f.rounds;
  CHECK(seen >= 3);
  // A round trip through the broker's mailbox: nothing was queued after.
  caf::scoped_actor self{f.sys};
  pb::LogsFetch empty;
  self
    ->request(f.broker, std::chrono::seconds(5), logs_fetch_atom::value,
              empty.SerializeAsString())
    .receive([](std::string&) {},
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(*f.rounds == seen + 1);
}
