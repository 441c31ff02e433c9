#pragma once

// Helpers for the tests of the cluster port's wire (net/tls_wire.hpp): an
// event recorder to wait on, certificates from a test CA, raw sockets for
// peers that misbehave. Real sockets on 127.0.0.1, port 0, waits bounded.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "net/cert_authority.hpp"
#include "net/tls_wire.hpp"

namespace wire_test {

namespace net = actorswarm::net;
using namespace std::chrono_literals;

/// Bound of every wait in these tests.
inline constexpr auto patience = std::chrono::seconds(10);

/// Records a wire's events; waits for them.
class recorder : public net::wire_events {
public:
  void on_up(net::conn_id c, const net::peer_identity& peer) override;
  void on_frame(net::conn_id c, std::string frame) override;
  void on_down(net::conn_id c, const std::string& reason) override;

  /// Waits until `pred()` (called under the lock) holds; false on timeout.
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds d = patience) {
    std::unique_lock<std::mutex> guard{mu_};
    return cv_.wait_for(guard, d, pred);
  }

  bool wait_up(net::conn_id c);
  bool wait_down(net::conn_id c);
  bool wait_frames(net::conn_id c, size_t n);
  /// Waits for the n-th connection to come up (1-based) and returns it.
  net::conn_id wait_nth_up(size_t n);

  bool is_up(net::conn_id c);
  bool is_down(net::conn_id c);
  net::peer_identity peer(net::conn_id c);
  std::vector<std::string> frames(net::conn_id c);
  size_t frame_count(net::conn_id c);
  std::string reason(net::conn_id c);
  size_t ups();

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<net::conn_id> up_order_;
  std::map<net::conn_id, net::peer_identity> up_;
  std::map<net::conn_id, std::vector<std::string>> frames_;
  std::map<net::conn_id, std::string> down_;
};

/// A cluster's CA and the credentials it issues.
struct test_pki {
  explicit test_pki(std::string cluster = "cluster-1");

  /// A key and a certificate for `cn` from `issuer` naming `cert_cluster`.
  static net::key_pair_pem issue(const net::key_pair_pem& issuer,
                                 const std::string& cn, const std::string& role,
                                 const std::string& cert_cluster, int days);

  /// Credentials for `cn` from this CA (or `issuer`), trusting this CA's
  /// root, with the issuer's root as chain.
  net::wire_credentials creds(const std::string& cn,
                              const std::string& role = net::manager_ou,
                              int days = 30) const;
  net::wire_credentials creds_from(const net::key_pair_pem& issuer,
                                   const std::string& cn) const;
  /// Credentials with a self-signed node certificate (no CA at all).
  net::wire_credentials self_signed(const std::string& cn) const;

  std::string digest() const;

  std::string cluster;
  net::key_pair_pem ca;
};

/// A blocking TLS 1.3 client outside the wire, for peers the wire would
/// not let a test be: it presents `cert_pem` and `key_pem` (if not empty),
/// trusts any server, and sends whatever bytes it is given. Reads wait at
/// most `patience`.
class tls_probe {
public:
  tls_probe(uint16_t port, const std::string& cert_pem,
            const std::string& key_pem);
  ~tls_probe();

  /// Completes the TLS handshake (client side).
  bool handshake();
  bool send(const std::string& bytes);
  /// Reads until `n` bytes or the end; returns what came.
  std::string read(size_t n);

private:
  int fd_ = -1;
  void* ctx_ = nullptr;
  void* ssl_ = nullptr;
};

/// Starts a wire (listening on 127.0.0.1:0 if `listen`).
std::unique_ptr<net::tls_wire>
start_wire(recorder& events, std::optional<net::wire_credentials> creds,
           bool listen = true, net::wire_limits limits = {});

/// "127.0.0.1:<port>".
std::string local(uint16_t port);

/// A blocking TCP socket connected to 127.0.0.1:port.
int raw_connect(uint16_t port);

/// Waits (bounded) until the peer closed `fd`, reading and dropping what
/// it sends. True if it closed (EOF or reset).
bool wait_closed(int fd, std::chrono::milliseconds d = patience);

/// Whether `fd` is still open now (no EOF or reset pending).
bool still_open(int fd);

} // namespace wire_test
