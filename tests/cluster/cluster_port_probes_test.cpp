// Cluster: the issue #8 probes against a real daemon's cluster port and
// control socket. Each probe must change nothing and cost the daemon that
// one connection: plain TCP garbage, floods of garbage and idle
// connections, a TLS client without a certificate sending PROPOSE and ROLE,
// a certificate from an unrelated CA, a 2 GiB frame header, a thousand
// half-open connections, a worker's own certificate sending Raft with a huge
// term, a proposal and another node's task status. Afterwards the swarm
// still serves. Every loop and wait is bounded; traffic goes to 127.0.0.x.

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

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

std::string random_text(size_t n, uint32_t seed) {
  std::mt19937 gen{seed};
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(gen() & 0xff);
  return s;
}

std::string be32(uint32_t n) {
  std::string h(4, '\0');
  h[0] = static_cast<char>(n >> 24);
  h[1] = static_cast<char>(n >> 16);
  h[2] = static_cast<char>(n >> 8);
  h[3] = static_cast<char>(n);
  return h;
}

// A blocking TCP connection to host:port (or -1), sends bounded by 2 s.
int tcp_connect(const std::string& host, int port) {
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

void send_all(int fd, const std::string& bytes) {
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
bool closed_within(int fd, std::chrono::milliseconds timeout) {
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

std::string read_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// VmRSS of `pid` in KiB, or -1.
long rss_kib(pid_t pid) {
  auto status = read_text("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("VmRSS:");
  if (at == std::string::npos)
    return -1;
  return std::strtol(status.c_str() + at + 6, nullptr, 10);
}

// Open file descriptors of `pid`.
size_t fd_count(pid_t pid) {
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
long long raft_term(const cluster_fixture& f) {
  auto out = f.cli({"info"}).out;
  auto at = out.find("Term: ");
  if (at == std::string::npos)
    return -1;
  return std::strtoll(out.c_str() + at + 6, nullptr, 10);
}

bool has_service(const cluster_fixture& f, const std::string& name) {
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

pb::Envelope envelope(pb::Envelope::Kind kind, const std::string& sender,
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

// A PROPOSE of a service `name` running `sh -c id` (the issue's probe).
pb::Envelope propose_service(const std::string& sender,
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

pb::Envelope role_demote(const std::string& sender) {
  pb::RoleChange rc;
  rc.set_manager(false);
  return envelope(pb::Envelope::ROLE, sender, rc.SerializeAsString(), 8);
}

pb::Envelope raft_huge_term(const std::string& sender, uint64_t to) {
  pb::RaftMessage m;
  m.set_type(pb::RaftMessage::HEARTBEAT);
  m.set_to(to);
  m.set_from(0x7fff'ffff'ffff'0001ull);
  m.set_term(~uint64_t{0} - 1);
  m.set_commit(1);
  return envelope(pb::Envelope::RAFT, sender, m.SerializeAsString(), 0);
}

// The cluster id (O) of daemon `f`'s node certificate.
std::string cluster_id_of(const cluster_fixture& f) {
  auto certs = persistence::load_node_certs(f.data_dir());
  if (!certs)
    return {};
  auto who = net::subject_of(certs->cert_pem);
  return who ? who->cluster_id : std::string{};
}

// The swarm serves: service ls, create, scale, rm, each promptly.
void check_serves(cluster_fixture& f, const std::string& name) {
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

} // namespace

TEST_CASE("cluster: garbage, floods, certificate-less and foreign-CA peers "
          "on the cluster port change nothing and cost their connection",
          "[cluster]") {
  cluster_fixture f;
  f.set_daemon_flags({"--handshake-timeout", "1s"});
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  const auto host = std::string{"127.0.0.1"};
  const int port = f.port();
  const pid_t pid = f.daemon_pid();
  REQUIRE(f.cli({"service", "create", "-d", "--name", "web", "--replicas", "1",
                 "--restart-delay", "0s", "host", "sleep", "3600"})
            .exit_code
          == 0);
  REQUIRE(f.wait_replicas("web", "1/1"));
  auto term = raft_term(f);
  REQUIRE(term > 0);
  auto cluster = cluster_id_of(f);
  REQUIRE_FALSE(cluster.empty());
  auto me = f.cli({"info"}).out;

  SECTION("(a) plain TCP random bytes") {
    for (uint32_t i = 0; i < 5; ++i) {
      int fd = tcp_connect(host, port);
      REQUIRE(fd >= 0);
      send_all(fd, random_text(4096, i));
      CHECK(closed_within(fd, 5s));
      ::close(fd);
    }
  }

  SECTION("(b) 200 connections of random bytes and 50 idle ones, then "
          "writes succeed promptly") {
    std::vector<int> fds;
    for (uint32_t i = 0; i < 250; ++i) {
      int fd = tcp_connect(host, port);
      if (fd < 0)
        continue;
      if (i < 200)
        send_all(fd, random_text(512, 100 + i));
      fds.push_back(fd);
    }
    CHECK(fds.size() >= 200);
    auto t0 = clock_type::now();
    auto r = f.cli({"service", "create", "-d", "--name", "flood", "--replicas",
                    "1", "host", "sleep", "3600"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    r = f.cli({"service", "update", "-d", "--replicas", "2", "flood"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(clock_type::now() - t0 < 8s);
    for (int fd : fds)
      ::close(fd);
  }

  SECTION("(c) a TLS client without a certificate sends PROPOSE and ROLE") {
    {
      tls_client c{host, port};
      // A joiner: accepted for one JOIN; anything else closes it.
      CHECK(c.up());
      CHECK(c.send_envelope(propose_service("attacker", "evil")));
      CHECK(c.closed_by_peer(5s));
    }
    {
      tls_client c{host, port};
      CHECK(c.up());
      CHECK(c.send_envelope(role_demote("attacker")));
      CHECK(c.closed_by_peer(5s));
    }
    {
      // Above the joiner's frame limit: closed, nothing allocated.
      tls_client c{host, port};
      CHECK(c.up());
      c.write(be32(0x8000'0000u) + random_text(1 << 16, 3));
      CHECK(c.closed_by_peer(5s));
    }
  }

  SECTION("(d) a certificate of an unrelated CA, claiming the manager") {
    std::string node_id;
    for (const auto& line : lines_of(me))
      if (contains(line, "NodeID: "))
        node_id = line.substr(line.find("NodeID: ") + 8);
    for (const auto& claimed_cluster : {cluster, std::string{"evil"}}) {
      auto ca = net::create_root_ca(claimed_cluster, 1);
      REQUIRE(ca);
      auto key = net::create_node_key();
      REQUIRE(key);
      auto pub = net::public_key_of(*key);
      REQUIRE(pub);
      auto cert = net::issue_node_cert(*ca, *pub,
                                       {node_id.empty() ? std::string{"x"}
                                                        : node_id,
                                        net::manager_ou, claimed_cluster},
                                       1);
      REQUIRE(cert);
      tls_client c{host, port, *cert, *key};
      CHECK_FALSE(c.up());
      c.send_envelope(propose_service(node_id, "evil"));
      c.send_envelope(role_demote(node_id));
      CHECK(c.closed_by_peer(5s));
    }
  }

  SECTION("(e) a 2 GiB frame header before any handshake keeps the RSS "
          "bounded") {
    auto before = rss_kib(pid);
    REQUIRE(before > 0);
    std::vector<int> fds;
    for (uint32_t i = 0; i < 4; ++i) {
      int fd = tcp_connect(host, port);
      REQUIRE(fd >= 0);
      send_all(fd, be32(0x8000'0000u) + random_text(1 << 20, 200 + i));
      fds.push_back(fd);
    }
    for (int fd : fds) {
      CHECK(closed_within(fd, 5s));
      ::close(fd);
    }
    auto after = rss_kib(pid);
    INFO("VmRSS before " << before << " KiB, after " << after << " KiB");
    CHECK(after < before + 32 * 1024);
  }

  SECTION("(f) 1000 half-open connections: the fds return near the "
          "baseline after the handshake timeout") {
    auto baseline = fd_count(pid);
    std::vector<int> fds;
    for (int i = 0; i < 1000; ++i) {
      int fd = tcp_connect(host, port);
      if (fd >= 0)
        fds.push_back(fd);
    }
    CHECK(fds.size() >= 900);
    size_t seen = 0;
    CHECK(eventually(
      [&] {
        seen = fd_count(pid);
        return seen <= baseline + 8;
      },
      10s, 100ms));
    INFO("baseline " << baseline << " fds, then " << seen);
    CHECK(seen <= baseline + 8);
    for (int fd : fds)
      ::close(fd);
  }

  // check: nothing changed and the swarm serves
  CHECK_FALSE(has_service(f, "evil"));
  CHECK(contains(f.cli({"info"}).out, "Is Manager: true"));
  CHECK(raft_term(f) >= term);
  CHECK(raft_term(f) < term + 3);
  CHECK(process_alive(pid));
  CHECK(f.replicas_of("web") == "1/1");
  check_serves(f, "after");
}

TEST_CASE("cluster: a worker's certificate cannot send Raft, proposals or "
          "another node's task status",
          "[cluster]") {
  manager_set m{1, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  const size_t w = 1;
  auto& mgr = m[0];
  auto worker_id = m.node_id(w);
  REQUIRE_FALSE(worker_id.empty());
  // A task on the manager: the forged status names it.
  auto r = mgr.cli({"service", "create", "-d", "--name", "web", "--replicas",
                    "1", "--constraint", "node.role==manager",
                    "--restart-delay", "0s", "host", "sleep", "3600"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  REQUIRE(mgr.wait_replicas("web", "1/1"));
  auto rows = mgr.ps_rows("web");
  REQUIRE(rows.size() == 1);
  auto task_id = rows[0].id;
  auto task_pid = mgr.task_pid(task_id);
  REQUIRE(task_pid > 0);
  auto term = raft_term(mgr);
  REQUIRE(term > 0);

  auto certs = persistence::load_node_certs(m[w].data_dir());
  REQUIRE(certs);
  REQUIRE_FALSE(certs->cert_pem.empty());
  tls_client c{"127.0.0.1", mgr.port(), certs->cert_pem, certs->key_pem};
  REQUIRE(c.up());
  // Raft with a term near 2^64 from the worker's own id: dropped.
  for (int i = 0; i < 5; ++i)
    CHECK(c.send_envelope(raft_huge_term(worker_id, 1)));
  // A proposal: refused with an error reply (or the connection).
  CHECK(c.send_envelope(propose_service(worker_id, "evil")));
  auto reply = c.read_envelope(5s);
  REQUIRE(reply);
  CHECK(reply->kind() == pb::Envelope::REPLY);
  CHECK(reply->request_id() == 7);
  CHECK(reply->code() != 0);
  // A status report failing the manager's task.
  pb::StatusBatch batch;
  batch.set_node_id(worker_id);
  batch.set_session_id("forged");
  auto* u = batch.add_updates();
  u->set_task_id(task_id);
  u->mutable_status()->set_state(pb::FAILED);
  u->mutable_status()->set_err("forged by a worker");
  u->mutable_status()->set_timestamp_ns(1);
  auto status = envelope(pb::Envelope::STATUS, worker_id,
                         batch.SerializeAsString(), 9);
  c.send_envelope(status);
  c.read_envelope(3s); // its answer, if any, or the connection's end
  // A ROLE message demoting the manager.
  c.send_envelope(role_demote(worker_id));
  c.read_envelope(3s);

  // A spoofed sender (the manager's own id, as the old session hijack) and
  // a 2 GiB frame header: each costs the worker's connection, nothing more.
  auto manager_id = m.node_id(0);
  auto rss_before = rss_kib(mgr.daemon_pid());
  {
    tls_client spoof{"127.0.0.1", mgr.port(), certs->cert_pem, certs->key_pem};
    REQUIRE(spoof.up());
    CHECK(spoof.send_envelope(envelope(pb::Envelope::SESSION, manager_id, {},
                                       10)));
    CHECK(spoof.closed_by_peer(5s));
  }
  {
    tls_client big{"127.0.0.1", mgr.port(), certs->cert_pem, certs->key_pem};
    REQUIRE(big.up());
    big.write(be32(0x8000'0000u) + random_text(1 << 20, 77));
    CHECK(big.closed_by_peer(5s));
  }
  auto rss_after = rss_kib(mgr.daemon_pid());
  INFO("VmRSS before " << rss_before << " KiB, after " << rss_after << " KiB");
  CHECK(rss_after < rss_before + 32 * 1024);

  // check: nothing changed
  CHECK(raft_term(mgr) == term);
  CHECK_FALSE(has_service(mgr, "evil"));
  CHECK(contains(mgr.cli({"info"}).out, "Is Manager: true"));
  CHECK(mgr.task_pid(task_id) == task_pid);
  rows = mgr.ps_rows("web");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == task_id);
  CHECK(contains(rows[0].current_state, "Running"));
  CHECK(rows[0].error.empty());
  check_serves(mgr, "after");
}

TEST_CASE("cluster: random bytes, truncated frames and oversized lengths at "
          "the control socket do not crash the daemon",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  const pid_t pid = f.daemon_pid();
  auto rss_before = rss_kib(pid);
  auto connect_unix = [&] {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, f.socket_path().c_str(), sizeof(sa.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      ::close(fd);
      return -1;
    }
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
  };
  auto end = clock_type::now() + 5s;
  int rounds = 0;
  for (uint32_t i = 0; i < 300 && clock_type::now() < end; ++i, ++rounds) {
    int fd = connect_unix();
    REQUIRE(fd >= 0);
    auto junk = random_text(1 + i * 7 % 2048, 1000 + i);
    switch (i % 5) {
      case 0: // random bytes
        send_all(fd, junk);
        break;
      case 1: // a truncated frame
        send_all(fd, be32(static_cast<uint32_t>(junk.size() + 100)) + junk);
        break;
      case 2: // an oversized announced length
        send_all(fd, be32(0xffff'ffffu) + junk);
        break;
      case 3: // a whole frame of garbage protobuf
        send_all(fd, be32(static_cast<uint32_t>(junk.size())) + junk);
        break;
      default: // a length just under the limit, then nothing
        send_all(fd, be32(256u * 1024 * 1024 - 1));
        break;
    }
    ::close(fd);
  }
  CHECK(rounds >= 50);
  CHECK(process_alive(pid));
  auto rss_after = rss_kib(pid);
  INFO("VmRSS before " << rss_before << " KiB, after " << rss_after << " KiB");
  CHECK(rss_after < rss_before + 64 * 1024);
  check_serves(f, "after");
}

TEST_CASE("cluster: node rm revokes: every manager refuses the removed "
          "worker's certificate and the worker does not come back",
          "[cluster]") {
  manager_set m{3, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  REQUIRE(m.wait_stable_leader() >= 0);
  const size_t w = 3;
  auto worker_id = m.node_id(w);
  REQUIRE_FALSE(worker_id.empty());
  auto certs = persistence::load_node_certs(m[w].data_dir());
  REQUIRE(certs);
  REQUIRE_FALSE(certs->cert_pem.empty());
  // Before: its certificate opens a connection to every manager.
  auto listen_host = [&](size_t i) {
    return "127.0.0." + std::to_string(1 + i % 3);
  };
  for (size_t i = 0; i < 3; ++i) {
    tls_client c{listen_host(i), m[i].port(), certs->cert_pem, certs->key_pem};
    INFO("manager " << i);
    CHECK(c.up());
  }
  // Its daemon keeps running with its old certificate.
  auto r = m[0].cli({"node", "rm", "--force", worker_id});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  REQUIRE(process_alive(m[w].daemon_pid()));
  for (size_t i = 0; i < 3; ++i) {
    INFO("manager " << i);
    CHECK(eventually(
      [&] {
        tls_client c{listen_host(i), m[i].port(), certs->cert_pem,
                     certs->key_pem};
        return !c.up();
      },
      10s, 200ms));
    CHECK(eventually(
      [&] {
        return contains(m[i].daemon_log(),
                        "refusing the certificates of 1 removed node(s)");
      },
      5s));
  }
  // check: it stays removed while its daemon keeps trying (bounded look)
  auto gone = [&] {
    for (size_t i = 0; i < 3; ++i)
      for (const auto& row : m.node_rows(i))
        if (row.id == worker_id)
          return false;
    return true;
  };
  CHECK(eventually(gone, 5s));
  auto until = clock_type::now() + 3s;
  bool stayed = true;
  for (int i = 0; i < 100 && clock_type::now() < until; ++i) {
    stayed = stayed && gone();
    std::this_thread::sleep_for(100ms);
  }
  CHECK(stayed);
  CHECK(process_alive(m[w].daemon_pid()));
  // check: after `swarm leave` a join with the worker token admits it again
  // (it keeps its node id) and its new certificate is accepted everywhere
  r = m[w].cli({"swarm", "leave", "--force"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto joined = m.join_worker(w, 0);
  INFO(joined);
  CHECK(joined.empty());
  CHECK(m.node_id(w) == worker_id);
  auto again = persistence::load_node_certs(m[w].data_dir());
  REQUIRE(again);
  for (size_t i = 0; i < 3; ++i) {
    INFO("manager " << i);
    CHECK(eventually(
      [&] {
        tls_client c{listen_host(i), m[i].port(), again->cert_pem,
                     again->key_pem};
        return c.up();
      },
      10s, 200ms));
  }
  // check: the swarm serves
  r = create_service(m, 0, "after", 2);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(m.wait_replicas(0, "after", "2/2"));
}

TEST_CASE("cluster: --max-unauthenticated closes connections beyond the "
          "bound at accept, members' open connections keep working",
          "[cluster]") {
  manager_set m{1, {"--max-unauthenticated", "8"}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  auto& mgr = m[0];
  const auto host = std::string{"127.0.0.1"};
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    int fd = tcp_connect(host, mgr.port());
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  // check: the next ones are closed at accept, long before the 10 s
  // handshake timeout
  for (int i = 0; i < 4; ++i) {
    int fd = tcp_connect(host, mgr.port());
    REQUIRE(fd >= 0);
    CHECK(closed_within(fd, 3s));
    ::close(fd);
  }
  // check: the worker's open session is not counted: its share of a service
  // reaches it while the bound is full
  auto r = create_service(m, 0, "web", 2);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(m.wait_replicas(0, "web", "2/2"));
  CHECK(m[1].wait_task_count(1) == 1);
  // check: once the idle ones go, a new connection gets through
  auto certs = persistence::load_node_certs(m[1].data_dir());
  REQUIRE(certs);
  for (int fd : idle)
    ::close(fd);
  CHECK(eventually(
    [&] {
      tls_client c{host, mgr.port(), certs->cert_pem, certs->key_pem};
      return c.up();
    },
    5s, 100ms));
}
