#pragma once

// OpenSSL helpers shared by the cluster CA (net/cert_authority.cpp) and the
// cluster port's wire (net/tls_wire.cpp, net/tls_context.cpp): owning
// pointers, PEM parsing, the subject of a node certificate, error text.
// Internal to net/: the public headers stay free of OpenSSL types.

#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "messages/result.hpp"
#include "net/cert_authority.hpp"

namespace actorswarm::net {

// -- owning pointers ---------------------------------------------------------

template <class T, void (*F)(T*)>
struct ossl_deleter {
  void operator()(T* x) const {
    F(x);
  }
};

using pkey_ptr
  = std::unique_ptr<EVP_PKEY, ossl_deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, ossl_deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, ossl_deleter<BIO, BIO_free_all>>;
using x509_store_ptr
  = std::unique_ptr<X509_STORE, ossl_deleter<X509_STORE, X509_STORE_free>>;
using x509_store_ctx_ptr
  = std::unique_ptr<X509_STORE_CTX,
                    ossl_deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using ssl_ctx_ptr
  = std::unique_ptr<SSL_CTX, ossl_deleter<SSL_CTX, SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, ossl_deleter<SSL, SSL_free>>;

/// A STACK_OF(X509) that owns its certificates.
struct x509_stack_free {
  void operator()(STACK_OF(X509) * x) const {
    sk_X509_pop_free(x, X509_free);
  }
};
using x509_stack_ptr = std::unique_ptr<STACK_OF(X509), x509_stack_free>;

// -- parsing and encoding ----------------------------------------------------

/// Every certificate of a PEM bundle, in order. Empty (or blank) text gives
/// none; text with a certificate that does not parse, or with no
/// certificate at all, fails (errc::invalid_spec).
result<std::vector<x509_ptr>> read_certs(const std::string& pem);

/// The first certificate of `pem`; none fails (errc::invalid_spec).
result<x509_ptr> read_cert(const std::string& pem);

/// A PEM private key; anything else fails (errc::invalid_spec).
result<pkey_ptr> read_private_key(const std::string& pem);

/// `x` as PEM.
std::string pem_of(X509* x);

/// SHA-256 of `x`'s DER encoding (32 raw bytes; empty if it cannot be
/// encoded).
std::string der_digest(X509* x);

/// CN, OU and O of `x`'s subject. Fails (errc::invalid_spec) unless each is
/// present exactly once, non-empty and without NUL, and OU is manager_ou
/// or worker_ou.
result<cert_subject> node_subject(X509* x);

/// A store trusting exactly `roots` (references are added, `roots` keeps
/// its own).
x509_store_ptr store_of(const std::vector<x509_ptr>& roots);

/// A stack holding references to `xs` (untrusted chain certificates).
x509_stack_ptr stack_of(const std::vector<x509_ptr>& xs);

/// The reason text of the oldest error in this thread's OpenSSL queue
/// ("unknown ca", "certificate verify failed", ...), or `fallback` if the
/// queue is empty. Clears the queue: an error left there makes the next
/// SSL call on any other connection of this thread fail
/// (shared/notes/caf-openssl.md §7).
std::string take_ssl_error(const std::string& fallback);

} // namespace actorswarm::net
