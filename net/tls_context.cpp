#include "net/tls_context.hpp"

#include <cerrno>
#include <cstdint>

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace actorswarm::net {

namespace {

// -- a socket BIO that never raises SIGPIPE ----------------------------------

int fd_of(BIO* b) {
  return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b)));
}

bool would_block() {
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

int sock_write(BIO* b, const char* buf, int len) {
  BIO_clear_retry_flags(b);
  auto n = ::send(fd_of(b), buf, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n >= 0)
    return static_cast<int>(n);
  if (would_block())
    BIO_set_retry_write(b);
  return -1;
}

int sock_read(BIO* b, char* buf, int len) {
  BIO_clear_retry_flags(b);
  auto n = ::recv(fd_of(b), buf, static_cast<size_t>(len), 0);
  if (n > 0)
    return static_cast<int>(n);
  if (n == 0) {
    BIO_set_flags(b, BIO_FLAGS_IN_EOF);
    return 0;
  }
  if (would_block())
    BIO_set_retry_read(b);
  return -1;
}

long sock_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
      return 1;
    case BIO_CTRL_EOF:
      return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default:
      return 0;
  }
}

int sock_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int sock_destroy(BIO*) {
  // The connection owns and closes the socket.
  return 1;
}

BIO_METHOD* nosignal_method() {
  static BIO_METHOD* m = [] {
    auto* x = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                           "actorswarm socket");
    BIO_meth_set_write(x, sock_write);
    BIO_meth_set_read(x, sock_read);
    BIO_meth_set_ctrl(x, sock_ctrl);
    BIO_meth_set_create(x, sock_create);
    BIO_meth_set_destroy(x, sock_destroy);
    return x;
  }();
  return m;
}

// -- the peer checks of the handshake ----------------------------------------

int check_index() {
  static int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}

// Why `leaf` (its chain verified) may not speak for a node here; empty if
// it may.
std::string refusal(const peer_check& check, X509* leaf) {
  auto s = node_subject(leaf);
  if (!s)
    return s.error().message;
  if (check.cluster_id == nullptr || s->cluster_id != *check.cluster_id)
    return "the certificate is for cluster " + s->cluster_id + ", not this one";
  if (check.revoked != nullptr && check.revoked->count(s->node_id) > 0)
    return "the certificate of node " + s->node_id + " is revoked";
  return {};
}

int verify_peer(int ok, X509_STORE_CTX* sctx) {
  auto* ssl = static_cast<SSL*>(
    X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* check = static_cast<peer_check*>(SSL_get_ex_data(ssl, check_index()));
  if (check == nullptr)
    return 0; // never accept a peer nobody checks
  if (ok != 1) {
    check->reason
      = std::string{"certificate refused: "}
        + X509_verify_cert_error_string(X509_STORE_CTX_get_error(sctx));
    count_refused(*check);
    return 0;
  }
  // The chain is checked from the root down; the name is the leaf's.
  if (X509_STORE_CTX_get_error_depth(sctx) != 0)
    return 1;
  auto why = refusal(*check, X509_STORE_CTX_get_current_cert(sctx));
  if (why.empty())
    return 1;
  check->reason = "certificate refused: " + why;
  X509_STORE_CTX_set_error(sctx, X509_V_ERR_APPLICATION_VERIFICATION);
  count_refused(*check);
  return 0;
}

ssl_ctx_ptr new_tls13_ctx() {
  ssl_ctx_ptr ctx{SSL_CTX_new(TLS_method())};
  if (!ctx)
    return ctx;
  auto* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
  // Partial writes from a buffer that may move: the wire writes what the
  // socket takes and keeps the rest queued. No automatic chain: we send
  // exactly our certificate and chain_pem.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE
                        | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                        | SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_RELEASE_BUFFERS);
  // What a peer can make us hold for its certificates before it is
  // authenticated (OpenSSL's default is 100 KB); a node's chain (its
  // certificate, the root, a cross-signature) is under 3 KB.
  SSL_CTX_set_max_cert_list(c, 16 * 1024);
  // No resumption: every connection proves its certificate afresh.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(c, 0);
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
  return ctx;
}

failure creds_fail(const std::string& what) {
  ERR_clear_error();
  return fail(errc::invalid_spec, "cluster port credentials: " + what);
}

// Our certificate, key and chain into `c`.
status use_own_cert(SSL_CTX* c, const wire_credentials& creds) {
  auto cert = read_cert(creds.cert_pem);
  if (!cert)
    return creds_fail("the certificate does not parse");
  auto key = read_private_key(creds.key_pem);
  if (!key)
    return creds_fail("the private key does not parse");
  auto own = node_subject(cert->get());
  if (!own)
    return creds_fail(own.error().message);
  if (own->cluster_id != creds.cluster_id)
    return creds_fail("the certificate is for cluster " + own->cluster_id
                      + ", not " + creds.cluster_id);
  if (SSL_CTX_use_certificate(c, cert->get()) != 1
      || SSL_CTX_use_PrivateKey(c, key->get()) != 1
      || SSL_CTX_check_private_key(c) != 1)
    return creds_fail("the certificate and key do not match");
  auto chain = read_certs(creds.chain_pem);
  if (!chain)
    return creds_fail("the chain does not parse");
  for (auto& x : *chain)
    if (SSL_CTX_add1_chain_cert(c, x.get()) != 1)
      return creds_fail("cannot use the chain");
  return ok_status();
}

} // namespace

result<std::shared_ptr<const tls_identity>>
make_tls_identity(const wire_credentials& creds) {
  if (creds.cluster_id.empty())
    return creds_fail("no cluster id");
  auto ctx = new_tls13_ctx();
  if (!ctx)
    return creds_fail("cannot create a TLS context");
  if (auto st = use_own_cert(ctx.get(), creds); !st)
    return st.error();
  auto roots = read_certs(creds.trusted_roots_pem);
  if (!roots || roots->empty())
    return creds_fail("no trusted root certificate");
  auto* store = SSL_CTX_get_cert_store(ctx.get());
  for (auto& r : *roots)
    X509_STORE_add_cert(store, r.get());
  // A peer without a certificate is a joiner (no FAIL_IF_NO_PEER_CERT);
  // one that presents a certificate must pass verify_peer.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, verify_peer);
  ERR_clear_error();
  auto id = std::make_shared<tls_identity>();
  id->ctx = std::move(ctx);
  id->cluster_id = creds.cluster_id;
  return std::shared_ptr<const tls_identity>{std::move(id)};
}

ssl_ctx_ptr make_pinned_ctx() {
  auto ctx = new_tls13_ctx();
  if (ctx)
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  ERR_clear_error();
  return ctx;
}

ssl_ptr make_ssl(SSL_CTX* ctx, int fd, bool server, peer_check* check) {
  ssl_ptr ssl{SSL_new(ctx)};
  BIO* bio = BIO_new(nosignal_method());
  if (!ssl || bio == nullptr) {
    BIO_free(bio);
    ERR_clear_error();
    return nullptr;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl.get(), bio, bio); // one reference for both directions
  SSL_set_ex_data(ssl.get(), check_index(), check);
  if (server)
    SSL_set_accept_state(ssl.get());
  else
    SSL_set_connect_state(ssl.get());
  return ssl;
}

void count_refused(peer_check& check) {
  if (check.counted || check.refused == nullptr)
    return;
  check.counted = true;
  ++*check.refused;
}

peer_identity identity_of(SSL* ssl) {
  peer_identity out;
  auto* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr)
    return out;
  auto s = node_subject(leaf);
  if (!s)
    return out;
  out.authenticated = true;
  out.node_id = s->node_id;
  out.role = s->role;
  out.cluster_id = s->cluster_id;
  return out;
}

result<pinned_server> check_pinned(SSL* ssl, const std::string& pin) {
  auto refuse = [](const std::string& what) {
    ERR_clear_error();
    return fail(errc::invalid_token,
                "the manager's CA does not match the join token (" + what
                  + ")");
  };
  auto* leaf = SSL_get0_peer_certificate(ssl);
  auto* chain = SSL_get_peer_cert_chain(ssl);
  if (leaf == nullptr || chain == nullptr)
    return refuse("the server presented no certificate");
  X509* root = nullptr;
  for (int i = 0; i < sk_X509_num(chain) && root == nullptr; ++i)
    if (der_digest(sk_X509_value(chain, i)) == pin)
      root = sk_X509_value(chain, i);
  if (root == nullptr)
    return refuse("no certificate of the server has the token's digest");
  if (X509_check_ca(root) < 1 || X509_self_signed(root, 1) != 1)
    return refuse("the certificate with the token's digest is not a root CA");
  X509_up_ref(root);
  std::vector<x509_ptr> only_root;
  only_root.emplace_back(root);
  auto store = store_of(only_root);
  x509_store_ctx_ptr ctx{X509_STORE_CTX_new()};
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, chain);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(ctx.get()) != 1)
    return refuse(
      std::string{"the server's certificate does not chain to "
                  "it: "}
      + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  auto s = node_subject(leaf);
  if (!s)
    return refuse(s.error().message);
  ERR_clear_error();
  return pinned_server{pem_of(root),
                       peer_identity{true, s->node_id, s->role, s->cluster_id}};
}

} // namespace actorswarm::net
