#include "net/cert_authority.hpp"

#include <cstdlib>
#include <ctime>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "net/openssl_util.hpp"

namespace actorswarm::net {

namespace {

constexpr long seconds_per_day = 60L * 60 * 24;

std::string bio_string(BIO* b) {
  char* data = nullptr;
  auto len = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<size_t>(len));
}

failure ssl_fail(const char* what) {
  ERR_clear_error();
  return fail(errc::internal,
              std::string{"cannot create the cluster CA: "} + what);
}

failure sign_fail(const char* what) {
  ERR_clear_error();
  return fail(errc::internal,
              std::string{"cannot sign the certificate: "} + what);
}

// A random positive 127-bit serial (RFC 5280 §4.1.2.2: at most 20 octets).
void set_random_serial(X509* x) {
  auto serial = random_bytes(16);
  serial[0] = static_cast<char>(serial[0] & 0x7f);
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()),
                         static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
}

// Valid from an hour ago (clock skew between nodes) for `days` days; 0 days
// gives a certificate that expires the second it is made (tests).
void set_validity(X509* x, int days) {
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), seconds_per_day * days);
}

void add_name_entry(X509_NAME* name, const char* field,
                    const std::string& value) {
  X509_NAME_add_entry_by_txt(
    name, field, MBSTRING_UTF8,
    reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
}

// Adds the extension `nid` = `value` (openssl x509v3_config syntax) to
// `subject`, in the context of `issuer` (for the authority key id).
bool add_ext(X509* issuer, X509* subject, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr)
    return false;
  bool ok = X509_add_ext(subject, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A P-256 EC public key, the only kind a node certificate is issued for.
result<pkey_ptr> read_node_public_key(const std::string& pem) {
  bio_ptr b{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  pkey_ptr k{PEM_read_bio_PUBKEY(b.get(), nullptr, nullptr, nullptr)};
  ERR_clear_error();
  if (!k)
    return fail(errc::invalid_spec, "the node's public key does not parse");
  char group[64] = {0};
  size_t len = 0;
  if (!EVP_PKEY_is_a(k.get(), "EC")
      || EVP_PKEY_get_utf8_string_param(k.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, sizeof(group), &len)
           != 1
      || std::string(group, len) != "prime256v1") {
    ERR_clear_error();
    return fail(errc::invalid_spec, "the node's public key is not ECDSA P-256");
  }
  return k;
}

// The CA's certificate and key, checked to belong together.
result<std::pair<x509_ptr, pkey_ptr>> read_ca(const key_pair_pem& ca) {
  auto cert = read_cert(ca.cert_pem);
  if (!cert)
    return cert.error();
  auto key = read_private_key(ca.key_pem);
  if (!key)
    return key.error();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ERR_clear_error();
    return fail(errc::invalid_spec, "the CA certificate and key do not match");
  }
  return std::make_pair(std::move(*cert), std::move(*key));
}

} // namespace

result<key_pair_pem> create_root_ca(const std::string& cluster_id, int days) {
  pkey_ptr key{EVP_EC_gen("P-256")};
  if (!key)
    return ssl_fail("key generation failed");
  x509_ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  set_random_serial(cert.get());
  set_validity(cert.get(), days);
  X509_set_pubkey(cert.get(), key.get());
  auto* name = X509_get_subject_name(cert.get());
  add_name_entry(name, "CN", "swarm-ca");
  add_name_entry(name, "O", cluster_id);
  X509_set_issuer_name(cert.get(), name);
  // A root that X509_verify_cert accepts as an issuer (RFC 5280 §4.2.1.9,
  // §4.2.1.3); the key ids let rotation tell two roots of one name apart.
  auto* c = cert.get();
  if (!add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE")
      || !add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign")
      || !add_ext(c, c, NID_subject_key_identifier, "hash"))
    return ssl_fail("cannot add the CA extensions");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return ssl_fail("self-signing failed");
  bio_ptr kb{BIO_new(BIO_s_mem())};
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr,
                           nullptr);
  return key_pair_pem{pem_of(cert.get()), bio_string(kb.get())};
}

result<std::string> cert_digest(const std::string& cert_pem) {
  auto cert = read_cert(cert_pem);
  if (!cert)
    return cert.error();
  auto d = der_digest(cert->get());
  if (d.empty())
    return fail(errc::internal, "cannot encode the certificate");
  return d;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n))
      != 1)
    std::abort();
  return out;
}

result<std::string> create_node_key() {
  pkey_ptr key{EVP_EC_gen("P-256")};
  if (!key) {
    ERR_clear_error();
    return fail(errc::internal, "cannot create the node key");
  }
  bio_ptr kb{BIO_new(BIO_s_mem())};
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr,
                           nullptr);
  return bio_string(kb.get());
}

result<std::string> public_key_of(const std::string& key_pem) {
  auto key = read_private_key(key_pem);
  if (!key)
    return key.error();
  bio_ptr b{BIO_new(BIO_s_mem())};
  if (PEM_write_bio_PUBKEY(b.get(), key->get()) != 1) {
    ERR_clear_error();
    return fail(errc::internal, "cannot encode the public key");
  }
  return bio_string(b.get());
}

result<std::string> issue_node_cert(const key_pair_pem& ca,
                                    const std::string& public_key_pem,
                                    const cert_subject& who, int days) {
  if (who.node_id.empty() || who.cluster_id.empty()
      || (who.role != manager_ou && who.role != worker_ou))
    return fail(errc::invalid_spec,
                "a node certificate needs a node id, a cluster id and the "
                "role swarm-manager or swarm-worker");
  if (days < 0)
    return fail(errc::invalid_spec, "a certificate's validity cannot be "
                                    "negative");
  auto pub = read_node_public_key(public_key_pem);
  if (!pub)
    return pub.error();
  auto signer = read_ca(ca);
  if (!signer)
    return signer.error();
  auto& [ca_cert, ca_key] = *signer;
  x509_ptr cert{X509_new()};
  auto* c = cert.get();
  X509_set_version(c, 2);
  set_random_serial(c);
  set_validity(c, days);
  X509_set_pubkey(c, pub->get());
  auto* name = X509_get_subject_name(c);
  add_name_entry(name, "O", who.cluster_id);
  add_name_entry(name, "OU", who.role);
  add_name_entry(name, "CN", who.node_id);
  X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get()));
  // A node is both a TLS server and a TLS client on the cluster port; its
  // key signs handshakes only and never certificates.
  auto* i = ca_cert.get();
  if (!add_ext(i, c, NID_basic_constraints, "critical,CA:FALSE")
      || !add_ext(i, c, NID_key_usage, "critical,digitalSignature")
      || !add_ext(i, c, NID_ext_key_usage, "serverAuth,clientAuth")
      || !add_ext(i, c, NID_subject_key_identifier, "hash")
      || !add_ext(i, c, NID_authority_key_identifier, "keyid:always"))
    return sign_fail("cannot add the extensions");
  if (X509_sign(c, ca_key.get(), EVP_sha256()) == 0)
    return sign_fail("signing failed");
  return pem_of(c);
}

result<cert_subject> verify_node_cert(const std::string& cert_pem,
                                      const std::string& roots_pem,
                                      const std::string& chain_pem) {
  auto cert = read_cert(cert_pem);
  if (!cert)
    return cert.error();
  auto roots = read_certs(roots_pem);
  if (!roots)
    return roots.error();
  auto chain = read_certs(chain_pem);
  if (!chain)
    return chain.error();
  auto store = store_of(*roots);
  auto untrusted = stack_of(*chain);
  x509_store_ctx_ptr ctx{X509_STORE_CTX_new()};
  X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), untrusted.get());
  // Node certificates serve both ends of a connection.
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  int ok = X509_verify_cert(ctx.get());
  int err = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  if (ok != 1)
    return fail(errc::invalid_spec,
                std::string{"the certificate does not verify: "}
                  + X509_verify_cert_error_string(err));
  if (X509_check_purpose(cert->get(), X509_PURPOSE_SSL_SERVER, 0) != 1)
    return fail(errc::invalid_spec,
                "the certificate is not valid for a TLS server");
  return node_subject(cert->get());
}

result<cert_subject> subject_of(const std::string& cert_pem) {
  auto cert = read_cert(cert_pem);
  if (!cert)
    return cert.error();
  return node_subject(cert->get());
}

result<int64_t> not_after(const std::string& cert_pem) {
  auto cert = read_cert(cert_pem);
  if (!cert)
    return cert.error();
  struct tm t = {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert->get()), &t) != 1)
    return fail(errc::invalid_spec, "the certificate's expiry does not parse");
  return static_cast<int64_t>(timegm(&t));
}

result<std::string> cross_sign(const key_pair_pem& prev,
                               const std::string& next_cert_pem) {
  auto signer = read_ca(prev);
  if (!signer)
    return signer.error();
  auto& [prev_cert, prev_key] = *signer;
  auto next = read_cert(next_cert_pem);
  if (!next)
    return next.error();
  if (X509_check_ca(next->get()) < 1)
    return fail(errc::invalid_spec, "the new root is not a CA certificate");
  x509_ptr cert{X509_dup(next->get())};
  auto* c = cert.get();
  // Same subject, key, key id and extensions as the new root; issued by
  // the old one, whose key id it names so chains pick the right issuer.
  X509_set_issuer_name(c, X509_get_subject_name(prev_cert.get()));
  set_random_serial(c);
  int akid = X509_get_ext_by_NID(c, NID_authority_key_identifier, -1);
  if (akid >= 0)
    X509_EXTENSION_free(X509_delete_ext(c, akid));
  if (!add_ext(prev_cert.get(), c, NID_authority_key_identifier,
               "keyid:always"))
    return sign_fail("cannot add the authority key id");
  if (X509_sign(c, prev_key.get(), EVP_sha256()) == 0)
    return sign_fail("signing failed");
  return pem_of(c);
}

} // namespace actorswarm::net
