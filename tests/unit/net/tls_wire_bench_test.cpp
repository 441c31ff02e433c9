// Measures the cluster port's wire (net/tls_wire.hpp) on loopback: round
// trips of 256-byte frames one at a time and pipelined, and connect plus
// handshake. Hidden ([.bench]); run with `unit_net "[.bench]"`. Compare
// with CAF's TLS BASP in shared/notes/caf-openssl.md §6.

#include <algorithm>
#include <cstdio>

#include "net/tls_wire.hpp"
#include "wire_fixture.hpp"

using namespace wire_test;

namespace {

using bench_clock = std::chrono::steady_clock;

// Sends every frame back on the connection it came from.
class echo : public recorder {
public:
  void on_frame(net::conn_id c, std::string frame) override {
    wire->send(c, std::move(frame));
  }

  net::tls_wire* wire = nullptr;
};

double us_since(bench_clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(bench_clock::now() - t0)
    .count();
}

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  return xs[static_cast<size_t>(p * static_cast<double>(xs.size() - 1))];
}

} // namespace

TEST_CASE("wire bench: 256-byte round trips and connect latency", "[.bench]") {
  test_pki pki;
  echo se;
  recorder ce;
  auto server = start_wire(se, pki.creds("manager-1"));
  se.wire = server.get();
  auto client = start_wire(ce, pki.creds("worker-1"), false);
  auto c = client->dial(local(server->port()));
  REQUIRE(ce.wait_up(c));
  std::string frame(256, 'r');
  // One at a time.
  constexpr size_t serial = 5'000;
  std::vector<double> rtt;
  auto t0 = bench_clock::now();
  for (size_t i = 1; i <= serial; ++i) {
    auto t = bench_clock::now();
    client->send(c, frame);
    if (!ce.wait_frames(c, i))
      FAIL("no echo");
    rtt.push_back(us_since(t));
  }
  auto serial_s = us_since(t0) / 1e6;
  std::printf("one at a time: %.0f round trips/s, median %.1f us, p99 %.1f "
              "us\n",
              serial / serial_s, percentile(rtt, 0.5), percentile(rtt, 0.99));
  // Pipelined, 64 outstanding.
  constexpr size_t total = 100'000;
  constexpr size_t window = 64;
  size_t sent = 0;
  size_t received = 0;
  t0 = bench_clock::now();
  // Each round sends up to the window, then waits for one more echo.
  while (received < total) {
    for (; sent < total && sent - received < window; ++sent)
      client->send(c, frame);
    if (!ce.wait_frames(c, serial + received + 1))
      FAIL("no echo");
    received = ce.frame_count(c) - serial;
  }
  REQUIRE(ce.wait_frames(c, serial + total));
  auto piped_s = us_since(t0) / 1e6;
  std::printf("pipelined (%zu outstanding): %.0f round trips/s\n", window,
              total / piped_s);
  // Connect + handshake + hello, until on_up at the dialer.
  std::vector<double> conn;
  for (int i = 0; i < 100; ++i) {
    auto t = bench_clock::now();
    auto d = client->dial(local(server->port()));
    REQUIRE(ce.wait_up(d));
    conn.push_back(us_since(t));
    client->close(d);
  }
  std::printf("connect + handshake: median %.0f us, p99 %.0f us\n",
              percentile(conn, 0.5), percentile(conn, 0.99));
}
