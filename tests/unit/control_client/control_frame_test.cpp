// The control channel's frame reader (net/control_frame.hpp): memory grows
// with the bytes that arrived, never with the length a peer announced; a
// length above the limit is refused before any body byte is read; a frame
// that stalls midway ends at its deadline.

#include "net/control_frame.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

using namespace actorswarm::net;

namespace {

struct socket_pair {
  int fds[2] = {-1, -1};

  socket_pair() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  }

  ~socket_pair() {
    close_writer();
    ::close(fds[0]);
  }

  int reader() const {
    return fds[0];
  }

  void send(const std::string& bytes) {
    REQUIRE(::write(fds[1], bytes.data(), bytes.size())
            == static_cast<ssize_t>(bytes.size()));
  }

  void close_writer() {
    if (fds[1] >= 0)
      ::close(fds[1]);
    fds[1] = -1;
  }
};

std::string header(uint32_t len) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(len >> 24);
  out[1] = static_cast<char>(len >> 16);
  out[2] = static_cast<char>(len >> 8);
  out[3] = static_cast<char>(len);
  return out;
}

constexpr uint32_t mib = 1024 * 1024;

} // namespace

TEST_CASE("control frame: a frame announcing 256 MiB that sends 10 bytes "
          "reserves little memory",
          "[unit]") {
  socket_pair p;
  p.send(header(256 * mib) + std::string(10, 'x'));
  p.close_writer();
  std::string out;
  frame_limits lim;
  lim.max_bytes = 256 * mib;
  CHECK(read_frame(p.reader(), out, lim) == frame_status::io_error);
  CHECK(out.capacity() < mib);
}

TEST_CASE("control frame: a frame that stalls midway ends at its deadline "
          "with little memory reserved",
          "[unit]") {
  socket_pair p;
  p.send(header(256 * mib) + std::string(10, 'x'));
  std::string out;
  frame_limits lim;
  lim.max_bytes = 256 * mib;
  lim.idle_timeout_ms = 60'000;
  lim.frame_deadline_ms = 50;
  auto t0 = std::chrono::steady_clock::now();
  CHECK(read_frame(p.reader(), out, lim) == frame_status::timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
  CHECK(out.capacity() < mib);
}

TEST_CASE("control frame: a peer that trickles a byte at a time still meets "
          "the frame deadline",
          "[unit]") {
  // Each read sees a byte within the idle timeout, but the frame as a whole
  // must be complete by its deadline.
  socket_pair p;
  p.send(header(100));
  std::string out;
  frame_limits lim;
  lim.idle_timeout_ms = 60'000;
  lim.frame_deadline_ms = 0;
  CHECK(read_frame(p.reader(), out, lim) == frame_status::timeout);
}

TEST_CASE("control frame: a length above the limit is refused before any "
          "body byte is read",
          "[unit]") {
  socket_pair p;
  p.send(header(16 * mib + 1) + "abc");
  std::string out;
  frame_limits lim;
  lim.max_bytes = 16 * mib;
  CHECK(read_frame(p.reader(), out, lim) == frame_status::too_large);
  CHECK(out.capacity() < mib);
  char rest[8];
  CHECK(::read(p.reader(), rest, sizeof(rest)) == 3);
}

TEST_CASE("control frame: frames of any size up to the limit round-trip",
          "[unit]") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536},
                   size_t{65537}, size_t{200'000}}) {
    INFO(n);
    socket_pair p;
    std::string body(n, '\0');
    for (size_t i = 0; i < n; ++i)
      body[i] = static_cast<char>(i * 7);
    std::string out = "previous contents";
    // A frame larger than the socket buffer: the writer runs beside the
    // reader.
    std::string wire = header(static_cast<uint32_t>(n)) + body;
    auto* fds = p.fds;
    std::thread w{[&] {
      size_t sent = 0;
      for (int i = 0; i < 100'000 && sent < wire.size(); ++i) {
        auto r = ::write(fds[1], wire.data() + sent, wire.size() - sent);
        if (r <= 0)
          break;
        sent += static_cast<size_t>(r);
      }
    }};
    frame_limits lim;
    lim.idle_timeout_ms = 10'000;
    lim.frame_deadline_ms = 10'000;
    CHECK(read_frame(p.reader(), out, lim) == frame_status::ok);
    w.join();
    CHECK(out == body);
  }
}

TEST_CASE("control frame: write_frame and the default reader agree", "[unit]") {
  socket_pair p;
  REQUIRE(write_frame(p.fds[1], "hello"));
  p.close_writer();
  std::string out;
  CHECK(read_frame(p.reader(), out, 1000) == frame_status::ok);
  CHECK(out == "hello");
  CHECK(read_frame(p.reader(), out, 1000) == frame_status::closed);
}
