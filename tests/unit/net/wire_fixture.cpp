#include "wire_fixture.hpp"

#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace wire_test {

// -- recorder -----------------------------------------------------------------

void recorder::on_up(net::conn_id c, const net::peer_identity& peer) {
  std::lock_guard<std::mutex> guard{mu_};
  up_order_.push_back(c);
  up_[c] = peer;
  cv_.notify_all();
}

void recorder::on_frame(net::conn_id c, std::string frame) {
  std::lock_guard<std::mutex> guard{mu_};
  frames_[c].push_back(std::move(frame));
  cv_.notify_all();
}

void recorder::on_down(net::conn_id c, const std::string& reason) {
  std::lock_guard<std::mutex> guard{mu_};
  down_[c] = reason;
  cv_.notify_all();
}

bool recorder::wait_up(net::conn_id c) {
  return wait([&] { return up_.count(c) > 0 || down_.count(c) > 0; })
         && up_.count(c) > 0;
}

bool recorder::wait_down(net::conn_id c) {
  return wait([&] { return down_.count(c) > 0; });
}

bool recorder::wait_frames(net::conn_id c, size_t n) {
  return wait([&] { return frames_[c].size() >= n || down_.count(c) > 0; })
         && frames_[c].size() >= n;
}

net::conn_id recorder::wait_nth_up(size_t n) {
  if (!wait([&] { return up_order_.size() >= n; }))
    return 0;
  std::lock_guard<std::mutex> guard{mu_};
  return up_order_[n - 1];
}

bool recorder::is_up(net::conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  return up_.count(c) > 0;
}

bool recorder::is_down(net::conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  return down_.count(c) > 0;
}

net::peer_identity recorder::peer(net::conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  return up_[c];
}

std::vector<std::string> recorder::frames(net::conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  return frames_[c];
}

size_t recorder::frame_count(net::conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  return frames_[c].size();
}

std::string recorder::reason(net::conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  return down_[c];
}

size_t recorder::ups() {
  std::lock_guard<std::mutex> guard{mu_};
  return up_order_.size();
}

// -- test_pki -----------------------------------------------------------------

test_pki::test_pki(std::string cluster_id) : cluster(std::move(cluster_id)) {
  auto root = net::create_root_ca(cluster, 30);
  REQUIRE(root);
  ca = *root;
}

net::key_pair_pem test_pki::issue(const net::key_pair_pem& issuer,
                                  const std::string& cn,
                                  const std::string& role,
                                  const std::string& cert_cluster, int days) {
  auto key = net::create_node_key();
  REQUIRE(key);
  auto pub = net::public_key_of(*key);
  REQUIRE(pub);
  auto cert = net::issue_node_cert(issuer, *pub, {cn, role, cert_cluster},
                                   days);
  REQUIRE(cert);
  return {*cert, *key};
}

net::wire_credentials test_pki::creds(const std::string& cn,
                                      const std::string& role, int days) const {
  auto kp = issue(ca, cn, role, cluster, days);
  return {kp.cert_pem, kp.key_pem, ca.cert_pem, ca.cert_pem, cluster};
}

net::wire_credentials test_pki::creds_from(const net::key_pair_pem& issuer,
                                           const std::string& cn) const {
  auto kp = issue(issuer, cn, net::manager_ou, cluster, 30);
  return {kp.cert_pem, kp.key_pem, ca.cert_pem, issuer.cert_pem, cluster};
}

net::wire_credentials test_pki::self_signed(const std::string& cn) const {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  auto* name = X509_get_subject_name(x);
  auto add = [&](const char* f, const std::string& v) {
    X509_NAME_add_entry_by_txt(
      name, f, MBSTRING_ASC, reinterpret_cast<const unsigned char*>(v.c_str()),
      -1, -1, 0);
  };
  add("O", cluster);
  add("OU", net::manager_ou);
  add("CN", cn);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* b = BIO_new(BIO_s_mem());
    write(b);
    char* data = nullptr;
    auto len = BIO_get_mem_data(b, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(b);
    return out;
  };
  auto cert = pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  auto k = pem([&](BIO* b) {
    PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(x);
  EVP_PKEY_free(key);
  return {cert, k, ca.cert_pem, "", cluster};
}

std::string test_pki::digest() const {
  auto d = net::cert_digest(ca.cert_pem);
  REQUIRE(d);
  return *d;
}

// -- tls_probe ----------------------------------------------------------------

tls_probe::tls_probe(uint16_t port, const std::string& cert_pem,
                     const std::string& key_pem) {
  fd_ = raw_connect(port);
  timeval tv{static_cast<time_t>(patience.count()), 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  auto* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  if (!cert_pem.empty()) {
    BIO* cb = BIO_new_mem_buf(cert_pem.data(),
                              static_cast<int>(cert_pem.size()));
    X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    SSL_CTX_use_certificate(ctx, x);
    SSL_CTX_use_PrivateKey(ctx, k);
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
  }
  auto* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd_);
  ctx_ = ctx;
  ssl_ = ssl;
}

tls_probe::~tls_probe() {
  SSL_free(static_cast<SSL*>(ssl_));
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  ::close(fd_);
  ERR_clear_error();
}

bool tls_probe::handshake() {
  ERR_clear_error();
  return SSL_connect(static_cast<SSL*>(ssl_)) == 1;
}

bool tls_probe::send(const std::string& bytes) {
  ERR_clear_error();
  return SSL_write(static_cast<SSL*>(ssl_), bytes.data(),
                   static_cast<int>(bytes.size()))
         == static_cast<int>(bytes.size());
}

std::string tls_probe::read(size_t n) {
  std::string out;
  char buf[4096];
  // Each round reads bytes or ends (the socket's receive timeout bounds it).
  while (out.size() < n) {
    ERR_clear_error();
    int k = SSL_read(static_cast<SSL*>(ssl_), buf,
                     static_cast<int>(std::min(sizeof(buf), n - out.size())));
    if (k <= 0)
      break;
    out.append(buf, static_cast<size_t>(k));
  }
  ERR_clear_error();
  return out;
}

// -- wires and sockets --------------------------------------------------------

std::unique_ptr<net::tls_wire>
start_wire(recorder& events, std::optional<net::wire_credentials> creds,
           bool listen, net::wire_limits limits) {
  auto w = net::tls_wire::start(events, limits, std::move(creds),
                                listen ? "127.0.0.1" : "", 0);
  if (!w)
    FAIL(w.error().message);
  return std::move(*w);
}

std::string local(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

int raw_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  return fd;
}

bool wait_closed(int fd, std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  char buf[4096];
  // Each round waits for data or the deadline.
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      return true;
  }
}

bool still_open(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0)
    return true;
  char c;
  auto n = ::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
  return n > 0 || (n < 0 && errno == EAGAIN);
}

} // namespace wire_test
