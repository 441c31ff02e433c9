// The control socket server (net/control_server.hpp) against abusive local
// clients: a file that is not a socket is refused and kept, connections are
// bounded, a request that stalls midway or is too large closes its
// connection. A real actor system and real sockets; every wait is bounded.

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "embed/register_types.hpp"
#include "messages/control.pb.h"
#include "messages/type_ids.hpp"
#include "net/control_client.hpp"
#include "net/control_frame.hpp"
#include "net/control_server.hpp"

using namespace actorswarm;
using namespace std::chrono_literals;

namespace {

using test::read_all;

struct temp_dir : test::temp_dir {
  temp_dir() : test::temp_dir("as-ctl-server") {
  }
};

// A control actor that answers every request with an empty reply.
control_handle::behavior_type answer_all() {
  return {
    [](control_atom, const pb::ControlRequest&) { return pb::ControlReply{}; },
  };
}

struct server_config : caf::actor_system_config {
  server_config() {
    register_types(*this);
  }
};

struct server_fixture {
  temp_dir dir;
  server_config cfg;
  caf::actor_system sys{cfg};
  control_handle control = sys.spawn(answer_all);
  net::control_server_config scfg;

  server_fixture() {
    scfg.socket_path = dir.path + "/ctl.sock";
    scfg.group = ::getgid();
  }

  ~server_fixture() {
    caf::anon_send_exit(control, caf::exit_reason::user_shutdown);
  }

  int connect() {
    std::string err;
    int fd = net::connect_unix(scfg.socket_path, err);
    INFO(err);
    REQUIRE(fd >= 0);
    return fd;
  }
};

// Waits at most `limit` until the daemon closes `fd` (read returns 0 or an
// error after any pending bytes); returns what it sent before.
bool closed_by_peer(int fd, std::string& got,
                    std::chrono::milliseconds limit = 10s) {
  auto until = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    auto n = ::read(fd, buf, sizeof(buf));
    if (n <= 0)
      return true;
    got.append(buf, static_cast<size_t>(n));
  }
  return false;
}

std::string header(uint32_t len) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(len >> 24);
  out[1] = static_cast<char>(len >> 16);
  out[2] = static_cast<char>(len >> 8);
  out[3] = static_cast<char>(len);
  return out;
}

bool ping(server_fixture& f) {
  pb::ControlRequest req;
  req.mutable_info();
  auto out = net::control_call(
    f.scfg.socket_path, req, [](const pb::ControlReply&) { return true; },
    5000);
  return out.status == net::call_status::ok;
}

} // namespace

TEST_CASE("control server: a regular file at the socket path is refused and "
          "kept",
          "[actor]") {
  server_fixture f;
  { std::ofstream{f.scfg.socket_path} << "not a socket"; }
  net::control_server s{f.sys, f.control, f.scfg};
  auto ok = s.start();
  REQUIRE_FALSE(ok);
  CHECK(ok.error().message.find("is not a socket") != std::string::npos);
  CHECK(read_all(f.scfg.socket_path) == "not a socket");
}

TEST_CASE("control server: the socket is 0660, serves, and a stale socket is "
          "replaced",
          "[actor]") {
  server_fixture f;
  {
    net::control_server s{f.sys, f.control, f.scfg};
    REQUIRE(s.start());
    struct stat st;
    REQUIRE(::stat(f.scfg.socket_path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0660);
    CHECK(st.st_gid == f.scfg.group);
    CHECK(ping(f));
    net::control_server second{f.sys, f.control, f.scfg};
    auto busy = second.start();
    REQUIRE_FALSE(busy);
    CHECK(busy.error().message.find("already serving") != std::string::npos);
  }
  // A socket file nobody serves, as a killed daemon leaves it.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
                f.scfg.socket_path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  ::close(fd);
  net::control_server s{f.sys, f.control, f.scfg};
  REQUIRE(s.start());
  CHECK(ping(f));
}

TEST_CASE("control server: connections above the bound are refused, the "
          "others still served",
          "[actor]") {
  server_fixture f;
  f.scfg.connections_max = 2;
  net::control_server s{f.sys, f.control, f.scfg};
  REQUIRE(s.start());
  int a = f.connect();
  int b = f.connect();
  int c = f.connect();
  std::string got;
  CHECK(closed_by_peer(c, got));
  pb::ControlReply r;
  REQUIRE(got.size() > 4);
  REQUIRE(r.ParseFromString(got.substr(4)));
  CHECK(r.error() == "too many control connections");
  ::close(c);
  // A slot frees when a connection ends.
  ::close(a);
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    served = ping(f);
    if (!served)
      ::poll(nullptr, 0, 50);
  }
  CHECK(served);
  ::close(b);
}

TEST_CASE("control server: a request that stalls midway is dropped at its "
          "deadline",
          "[actor]") {
  server_fixture f;
  f.scfg.frame_deadline_ms = 100;
  net::control_server s{f.sys, f.control, f.scfg};
  REQUIRE(s.start());
  int fd = f.connect();
  // Announces 256 MiB, sends 10 bytes, then nothing.
  auto wire = header(256u << 20) + std::string(10, 'x');
  REQUIRE(::write(fd, wire.data(), wire.size())
          == static_cast<ssize_t>(wire.size()));
  std::string got;
  CHECK(closed_by_peer(fd, got));
  ::close(fd);
  CHECK(ping(f));
}

TEST_CASE("control server: a request above the size limit is refused and "
          "closed",
          "[actor]") {
  server_fixture f;
  net::control_server s{f.sys, f.control, f.scfg};
  REQUIRE(s.start());
  int fd = f.connect();
  auto wire = header(f.scfg.request_size_max_bytes + 1);
  REQUIRE(::write(fd, wire.data(), wire.size()) == 4);
  std::string got;
  CHECK(closed_by_peer(fd, got));
  ::close(fd);
  pb::ControlReply r;
  REQUIRE(got.size() > 4);
  REQUIRE(r.ParseFromString(got.substr(4)));
  CHECK(r.error().find("control request larger than") != std::string::npos);
}

TEST_CASE("control server: connections of random bytes cost only themselves",
          "[actor]") {
  server_fixture f;
  f.scfg.frame_deadline_ms = 200;
  // Junk that happens to parse as a request is answered; the connection
  // then idles out.
  f.scfg.idle_timeout_ms = 500;
  net::control_server s{f.sys, f.control, f.scfg};
  REQUIRE(s.start());
  std::mt19937 rng{42};
  std::vector<int> fds;
  for (int i = 0; i < 64; ++i) {
    std::string junk(1 + rng() % 512, '\0');
    for (auto& c : junk)
      c = static_cast<char>(rng());
    int fd = f.connect();
    CHECK(::write(fd, junk.data(), junk.size())
          == static_cast<ssize_t>(junk.size()));
    // Half hang up at once, half stay silent after their bytes.
    if (i % 2 == 0)
      ::close(fd);
    else
      fds.push_back(fd);
  }
  CHECK(ping(f));
  for (int fd : fds) {
    std::string got;
    CHECK(closed_by_peer(fd, got));
    ::close(fd);
  }
  CHECK(ping(f));
}
