#include "net/cert_authority.hpp"

#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

namespace actorswarm::net {

namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* x) const {
    F(x);
  }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

std::string bio_string(BIO* b) {
  char* data = nullptr;
  auto len = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<size_t>(len));
}

failure ssl_fail(const char* what) {
  return fail(errc::internal,
              std::string{"cannot create the cluster CA: "} + what);
}

} // namespace

result<key_pair_pem> create_root_ca(const std::string& cluster_id, int days) {
  pkey_ptr key{EVP_EC_gen("P-256")};
  if (!key)
    return ssl_fail("key generation failed");
  x509_ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  auto serial = random_bytes(8);
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()),
                         static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * days);
  X509_set_pubkey(cert.get(), key.get());
  auto* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(
      name, field, MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  add("CN", "swarm-ca");
  add("O", cluster_id);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return ssl_fail("self-signing failed");
  bio_ptr cb{BIO_new(BIO_s_mem())}, kb{BIO_new(BIO_s_mem())};
  PEM_write_bio_X509(cb.get(), cert.get());
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr,
                           nullptr);
  return key_pair_pem{bio_string(cb.get()), bio_string(kb.get())};
}

result<std::string> cert_digest(const std::string& cert_pem) {
  bio_ptr b{
    BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()))};
  x509_ptr cert{PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)};
  if (!cert)
    return fail(errc::invalid_spec, "not a PEM certificate");
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0)
    return fail(errc::internal, "cannot encode the certificate");
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), md);
  OPENSSL_free(der);
  return std::string(reinterpret_cast<char*>(md), sizeof(md));
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n))
      != 1)
    std::abort();
  return out;
}

} // namespace actorswarm::net
