#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "net/control_client.hpp"
#include "socket_server.hpp"

using namespace actorswarm;
using actorswarm::cli::test::socket_server;

TEST_CASE("control_call talks to a Unix socket, streaming replies", "[unit]") {
  std::vector<pb::ControlReply> replies(3);
  for (int i = 0; i < 3; ++i) {
    auto* l = replies[static_cast<size_t>(i)].add_log_lines();
    l->set_text("line " + std::to_string(i));
  }
  socket_server srv{replies};
  pb::ControlRequest req;
  req.mutable_logs()->set_ref("web");
  std::vector<std::string> lines;
  auto out = net::control_call(
    srv.path, req,
    [&](const pb::ControlReply& r) {
      lines.push_back(r.log_lines(0).text());
      return true;
    },
    5000);
  CHECK(out.status == net::call_status::ok);
  CHECK(lines == std::vector<std::string>{"line 0", "line 1", "line 2"});
  srv.thread.join();
  srv.thread = std::thread([] {});
  CHECK(srv.got.logs().ref() == "web");
}

TEST_CASE("the whole CLI against a socket server: service ls", "[unit]") {
  pb::ControlReply reply;
  auto* e = reply.add_services();
  e->mutable_service()->set_id("qwertyuiopasdfghjklzxcvbn");
  e->mutable_service()->mutable_spec()->set_name("web");
  e->mutable_service()
    ->mutable_spec()
    ->mutable_task()
    ->mutable_container()
    ->set_image("host");
  e->set_running(3);
  e->set_desired(3);
  socket_server srv{{reply}};
  cli::test::fake_daemon d;
  auto ctx = d.make_context();
  ctx.call = net::control_call;
  auto host = "unix://" + srv.path;
  const char* argv[] = {"actorswarm", "-H", host.c_str(), "service", "ls"};
  CHECK(cli::run(5, argv, ctx) == 0);
  CHECK(d.out.str()
        == "ID             NAME      MODE         REPLICAS   IMAGE     PORTS\n"
           "qwertyuiopas   web       replicated   3/3        host      \n");
}

TEST_CASE("control_call reports an unreachable socket", "[unit]") {
  pb::ControlRequest req;
  req.mutable_info();
  auto out = net::control_call(
    "/tmp/as-cli-test-nonexistent/x.sock", req,
    [](const pb::ControlReply&) { return true; }, 100);
  CHECK(out.status == net::call_status::unreachable);
  cli::test::fake_daemon d;
  auto ctx = d.make_context();
  ctx.call = net::control_call;
  const char* argv[] = {"actorswarm", "-H", "unix:///tmp/as-cli-nope/x.sock",
                        "node", "ls"};
  CHECK(cli::run(5, argv, ctx) == 1);
  CHECK(
    d.err.str()
    == "Cannot connect to the actorswarm daemon at "
       "unix:///tmp/as-cli-nope/x.sock. Is the actorswarm daemon running?\n");
}

TEST_CASE("control_call_fd over a socketpair, a closed peer is an error",
          "[unit]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  ::close(sv[1]);
  pb::ControlRequest req;
  req.mutable_info();
  auto out = net::control_call_fd(
    sv[0], req, [](const pb::ControlReply&) { return true; }, 100);
  CHECK(out.status == net::call_status::io_error);
  ::close(sv[0]);
  std::string path;
  CHECK(net::parse_unix_addr("unix:///a/b.sock", path));
  CHECK(path == "/a/b.sock");
  CHECK_FALSE(net::parse_unix_addr("tcp://x:1", path));
  CHECK_FALSE(net::parse_unix_addr("unix://", path));
}
