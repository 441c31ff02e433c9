#pragma once

// A one-connection Unix socket server on a temp path, run by a test thread:
// reads one request, answers with `replies` frames.

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "messages/control.pb.h"
#include "net/control_frame.hpp"

namespace actorswarm::cli::test {

struct socket_server {
  std::string path;
  int listen_fd = -1;
  std::thread thread;
  pb::ControlRequest got;

  explicit socket_server(std::vector<pb::ControlReply> replies) {
    std::signal(SIGPIPE, SIG_IGN);
    char tmpl[] = "/tmp/as-cli-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = std::string{tmpl} + "/ctl.sock";
    listen_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
    REQUIRE(::bind(listen_fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa))
            == 0);
    REQUIRE(::listen(listen_fd, 1) == 0);
    thread = std::thread([this, replies] {
      int fd = ::accept(listen_fd, nullptr, nullptr);
      if (fd < 0)
        return;
      std::string buf;
      if (net::read_frame(fd, buf, 5000) == net::frame_status::ok)
        got.ParseFromString(buf);
      for (size_t i = 0; i < replies.size(); ++i) {
        auto r = replies[i];
        r.set_more(i + 1 < replies.size());
        net::write_frame(fd, r.SerializeAsString());
      }
      ::close(fd);
    });
  }

  ~socket_server() {
    thread.join();
    ::close(listen_fd);
    ::unlink(path.c_str());
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
  }
};

} // namespace actorswarm::cli::test
