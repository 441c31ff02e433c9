// Binding the control socket (net/control_listen.hpp): mode 0660 and a
// configurable group like dockerd's --group; a file that is not a socket is
// refused and left alone; a stale socket is replaced.

#include "net/control_listen.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

using namespace actorswarm;
using namespace actorswarm::net;

namespace {

using test::read_all;

struct temp_dir : test::temp_dir {
  temp_dir() : test::temp_dir("as-ctl-listen") {
  }
};

// A socket file nobody listens on, as a dead daemon leaves it.
void make_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  ::close(fd);
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("control socket: a regular file at the path is refused and kept",
          "[unit]") {
  temp_dir d;
  auto path = d.path + "/ctl.sock";
  { std::ofstream{path} << "precious"; }
  auto r = listen_control_socket(path, ::getgid());
  REQUIRE_FALSE(r);
  CHECK(contains(r.error().message, "is not a socket"));
  CHECK(contains(r.error().message, path));
  CHECK(r.error().message.find('\n') == std::string::npos);
  CHECK(read_all(path) == "precious");
  CHECK_FALSE(check_control_path(path));
  CHECK(read_all(path) == "precious");
}

TEST_CASE("control socket: a directory or a symlink at the path is refused",
          "[unit]") {
  temp_dir d;
  auto dir = d.path + "/ctl.sock";
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  CHECK_FALSE(listen_control_socket(dir, ::getgid()));
  CHECK(std::filesystem::is_directory(dir));
  auto target = d.path + "/target";
  { std::ofstream{target} << "x"; }
  auto link = d.path + "/link.sock";
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  CHECK_FALSE(listen_control_socket(link, ::getgid()));
  CHECK(std::filesystem::is_symlink(link));
  CHECK(read_all(target) == "x");
}

TEST_CASE("control socket: a stale socket is replaced, a served one refused",
          "[unit]") {
  temp_dir d;
  auto path = d.path + "/ctl.sock";
  make_stale_socket(path);
  CHECK(check_control_path(path));
  auto fd = listen_control_socket(path, ::getgid());
  REQUIRE(fd);
  auto again = listen_control_socket(path, ::getgid());
  REQUIRE_FALSE(again);
  CHECK(contains(again.error().message, "already serving"));
  CHECK_FALSE(check_control_path(path));
  ::close(*fd);
}

TEST_CASE("control socket: mode 0660 and the chosen group", "[unit]") {
  temp_dir d;
  auto path = d.path + "/ctl.sock";
  // Another group than ours when we may give one (root), else ours.
  gid_t want = ::getuid() == 0 ? 4242 : ::getgid();
  auto fd = listen_control_socket(path, want);
  REQUIRE(fd);
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == 0660);
  CHECK(st.st_gid == want);
  ::close(*fd);
}

TEST_CASE("control socket: --group resolves names and gids, refuses unknown "
          "names",
          "[unit]") {
  auto root = resolve_socket_group("root");
  REQUIRE(root);
  CHECK(*root == 0);
  auto num = resolve_socket_group("4242");
  REQUIRE(num);
  CHECK(*num == 4242);
  auto bad = resolve_socket_group("no-such-group-as-test");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "group no-such-group-as-test not found");
  // The default: the actorswarm group if it exists, else our own.
  auto def = resolve_socket_group("");
  REQUIRE(def);
  auto* g = ::getgrnam(default_socket_group);
  CHECK(*def == (g ? g->gr_gid : ::getgid()));
}
