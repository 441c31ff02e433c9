#pragma once

// What the cluster-port probe tests share (issue #8): raw TCP and TLS
// clients of a daemon's cluster port and control socket, envelopes a
// misbehaving peer would send, and what to read of the daemon afterwards
// (RSS, fds, Raft term, services). Every wait is bounded.

#include "cluster/manager_set.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "messages/cluster.pb.h"
#include "messages/dispatcher.pb.h"
#include "messages/raft.pb.h"
#include "messages/store.pb.h"
#include "net/cert_authority.hpp"
#include "persistence/certificates.hpp"

namespace actorswarm::test::probe {

using namespace std::chrono_literals;

using clock_type = std::chrono::steady_clock;

inline std::string random_text(size_t n, uint32_t seed) {
  std::mt19937 gen{seed};
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(gen() & 0xff);
  return s;
}

inline std::string be32(uint32_t n) {
  std::string h(4, '\0');
  h[0] = static_cast<char>(n >> 24);
  h[1] = static_cast<char>(n >> 16);
  h[2] = static_cast<char>(n >> 8);
  h[3] = static_cast<char>(n);
  return h;
}

// A blocking TCP connection to host:port (or -1), sends bounded by 2 s.
inline int tcp_connect(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  // Also bounds connect() (a full accept backlog).
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline void send_all(int fd, const std::string& bytes) {
  size_t off = 0;
  for (int i = 0; i < 10'000 && off < bytes.size(); ++i) {
    auto n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0)
      return; // the peer closed: what the probes expect sooner or later
    off += static_cast<size_t>(n);
  }
}

// True when the peer closes `fd` within `timeout` (reads and drops what
// arrives meanwhile, bounded).
inline bool closed_within(int fd, std::chrono::milliseconds timeout) {
  auto end = clock_type::now() + timeout;
  char buf[4096];
  for (int i = 0; i < 100'000 && clock_type::now() < end; ++i) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      end - clock_type::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long long>(1, left.count())))
        <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      return true;
  }
  return false;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// VmRSS of `pid` in KiB, or -1.
inline long rss_kib(pid_t pid) {
  auto status = read_text("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("VmRSS:");
  if (at == std::string::npos)
    return -1;
  return std::strtol(status.c_str() + at + 6, nullptr, 10);
}

// Open file descriptors of `pid`.
inline size_t fd_count(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  std::filesystem::directory_iterator it{"/proc/" + std::to_string(pid) + "/fd",
                                         ec},
    end;
  for (; !ec && it != end && n < 1'000'000; it.increment(ec))
    ++n;
  return n;
}

// The "Term:" of the Raft section of `info`, or -1.
inline long long raft_term(const cluster_fixture& f) {
  auto out = f.cli({"info"}).out;
  auto at = out.find("Term: ");
  if (at == std::string::npos)
    return -1;
  return std::strtoll(out.c_str() + at + 6, nullptr, 10);
}

inline bool has_service(const cluster_fixture& f, const std::string& name) {
  for (const auto& line : lines_of(f.cli({"service", "ls"}).out))
    if (contains(line, " " + name + " "))
      return true;
  return false;
}

// A TLS 1.3 client of the cluster port, blocking with 2 s timeouts. With a
// certificate and key (PEM) it presents them; it never checks the server.
class tls_client {
public:
  tls_client(const std::string& host, int port,
             const std::string& cert_pem = {},
             const std::string& key_pem = {}) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    if (!cert_pem.empty()) {
      BIO* cb = BIO_new_mem_buf(cert_pem.data(),
                                static_cast<int>(cert_pem.size()));
      X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      BIO_free(cb);
      BIO* kb = BIO_new_mem_buf(key_pem.data(),
                                static_cast<int>(key_pem.size()));
      EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      BIO_free(kb);
      if (cert && key) {
        SSL_CTX_use_certificate(ctx_, cert);
        SSL_CTX_use_PrivateKey(ctx_, key);
      }
      X509_free(cert);
      EVP_PKEY_free(key);
    }
    fd_ = tcp_connect(host, port);
    if (fd_ < 0)
      return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    handshake_ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
    if (!handshake_ok_)
      return;
    // The wire's hello both ways; the server's hello says it accepted us.
    if (SSL_write(ssl_, "ASWIRE/1", 8) != 8)
      return;
    char hello[8];
    size_t got = 0;
    for (int i = 0; i < 16 && got < sizeof(hello); ++i) {
      int n = SSL_read(ssl_, hello + got,
                       static_cast<int>(sizeof(hello) - got));
      if (n <= 0)
        break;
      got += static_cast<size_t>(n);
    }
    ERR_clear_error();
    up_ = got == sizeof(hello) && std::memcmp(hello, "ASWIRE/1", 8) == 0;
  }

  ~tls_client() {
    if (ssl_)
      SSL_free(ssl_);
    if (fd_ >= 0)
      ::close(fd_);
    SSL_CTX_free(ctx_);
  }

  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  /// The server accepted us: its hello arrived.
  bool up() const noexcept {
    return up_;
  }

  bool write(const std::string& bytes) {
    if (!ssl_ || !handshake_ok_)
      return false;
    int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    ERR_clear_error();
    return n == static_cast<int>(bytes.size());
  }

  bool send_envelope(const pb::Envelope& env) {
    auto body = env.SerializeAsString();
    return write(be32(static_cast<uint32_t>(body.size())) + body);
  }

  /// The next frame as an envelope within `timeout`; nullopt when the
  /// connection closed or nothing came.
  std::optional<pb::Envelope> read_envelope(std::chrono::milliseconds timeout) {
    auto end = clock_type::now() + timeout;
    std::string buf;
    char chunk[4096];
    for (int i = 0; i < 10'000 && clock_type::now() < end; ++i) {
      if (buf.size() >= 4) {
        uint32_t n = (uint32_t(uint8_t(buf[0])) << 24)
                     | (uint32_t(uint8_t(buf[1])) << 16)
                     | (uint32_t(uint8_t(buf[2])) << 8) | uint8_t(buf[3]);
        if (buf.size() >= 4 + size_t{n}) {
          pb::Envelope env;
          if (!env.ParseFromString(buf.substr(4, n)))
            return std::nullopt;
          return env;
        }
      }
      if (!ssl_)
        return std::nullopt;
      int n = SSL_read(ssl_, chunk, sizeof(chunk));
      if (n <= 0) {
        auto e = SSL_get_error(ssl_, n);
        ERR_clear_error();
        if (e == SSL_ERROR_WANT_READ) // the 2 s receive timeout
          continue;
        return std::nullopt;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
    return std::nullopt;
  }

  /// True when the server closes the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout) {
    if (fd_ < 0)
      return true;
    if (!handshake_ok_)
      return closed_within(fd_, timeout);
    auto end = clock_type::now() + timeout;
    char chunk[4096];
    for (int i = 0; i < 10'000 && clock_type::now() < end; ++i) {
      int n = SSL_read(ssl_, chunk, sizeof(chunk));
      if (n > 0)
        continue;
      auto e = SSL_get_error(ssl_, n);
      ERR_clear_error();
      if (e == SSL_ERROR_WANT_READ && (errno == EAGAIN || errno == EINTR))
        continue;
      return true;
    }
    return false;
  }

private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
  bool up_ = false;
};

inline pb::Envelope envelope(pb::Envelope::Kind kind, const std::string& sender,
                             const std::string& payload, uint64_t request_id) {
  pb::Envelope env;
  env.set_sender_node_id(sender);
  env.set_sender_raft_id(0x7fff'ffff'ffff'0001ull);
  env.set_sender_epoch(42);
  env.set_seq(1);
  env.set_kind(kind);
  env.set_payload(payload);
  env.set_request_id(request_id);
  return env;
}

// A PROPOSE of a service `name` running `sh -c id` (the probe).
inline pb::Envelope propose_service(const std::string& sender,
                                    const std::string& name) {
  pb::StoreBatch batch;
  auto* a = batch.add_actions();
  a->set_kind(pb::StoreAction::CREATE);
  auto* s = a->mutable_service();
  s->set_id("probe" + name);
  s->mutable_spec()->set_name(name);
  s->mutable_spec()->set_replicas(1);
  return envelope(pb::Envelope::PROPOSE, sender, batch.SerializeAsString(), 7);
}

inline pb::Envelope role_demote(const std::string& sender) {
  pb::RoleChange rc;
  rc.set_manager(false);
  return envelope(pb::Envelope::ROLE, sender, rc.SerializeAsString(), 8);
}

inline pb::Envelope raft_huge_term(const std::string& sender, uint64_t to) {
  pb::RaftMessage m;
  m.set_type(pb::RaftMessage::HEARTBEAT);
  m.set_to(to);
  m.set_from(0x7fff'ffff'ffff'0001ull);
  m.set_term(~uint64_t{0} - 1);
  m.set_commit(1);
  return envelope(pb::Envelope::RAFT, sender, m.SerializeAsString(), 0);
}

// The cluster id (O) of daemon `f`'s node certificate.
inline std::string cluster_id_of(const cluster_fixture& f) {
  auto certs = persistence::load_node_certs(f.data_dir());
  if (!certs)
    return {};
  auto who = net::subject_of(certs->cert_pem);
  return who ? who->cluster_id : std::string{};
}

// The swarm serves: service ls, create, scale, rm, each promptly.
inline void check_serves(cluster_fixture& f, const std::string& name) {
  auto t0 = clock_type::now();
  auto r = f.cli({"service", "create", "-d", "--name", name, "--replicas", "1",
                  "--restart-delay", "0s", "host", "sleep", "3600"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  r = f.cli({"service", "scale", "-d", name + "=2"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(f.wait_replicas(name, "2/2"));
  r = f.cli({"service", "rm", name});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(clock_type::now() - t0 < 15s);
}

} // namespace actorswarm::test::probe
