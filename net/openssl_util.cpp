#include "net/openssl_util.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

namespace actorswarm::net {

namespace {

bio_ptr mem_bio(const std::string& text) {
  return bio_ptr{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
}

bool blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// The one entry of `nid` in `name`, as UTF-8; empty if absent, repeated,
// empty or holding a NUL.
std::string only_entry(X509_NAME* name, int nid) {
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0)
    return {};
  auto* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len <= 0)
    return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  if (out.find('\0') != std::string::npos)
    return {};
  return out;
}

} // namespace

result<std::vector<x509_ptr>> read_certs(const std::string& pem) {
  std::vector<x509_ptr> out;
  if (blank(pem))
    return out;
  auto b = mem_bio(pem);
  // Bounded by the text: each certificate consumes at least its PEM lines.
  for (;;) {
    x509_ptr x{PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)};
    if (!x)
      break;
    out.push_back(std::move(x));
  }
  auto err = ERR_peek_last_error();
  ERR_clear_error();
  // The loop ends with "no start line" at the end of the text; any other
  // error is a certificate that does not parse.
  bool clean_end = ERR_GET_LIB(err) == ERR_LIB_PEM
                   && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  if (out.empty() || !clean_end)
    return fail(errc::invalid_spec, "not a PEM certificate");
  return out;
}

result<x509_ptr> read_cert(const std::string& pem) {
  auto b = mem_bio(pem);
  x509_ptr x{PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)};
  ERR_clear_error();
  if (!x)
    return fail(errc::invalid_spec, "not a PEM certificate");
  return x;
}

result<pkey_ptr> read_private_key(const std::string& pem) {
  auto b = mem_bio(pem);
  pkey_ptr k{PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr)};
  ERR_clear_error();
  if (!k)
    return fail(errc::invalid_spec, "not a PEM private key");
  return k;
}

std::string pem_of(X509* x) {
  bio_ptr b{BIO_new(BIO_s_mem())};
  PEM_write_bio_X509(b.get(), x);
  char* data = nullptr;
  auto len = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string der_digest(X509* x) {
  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  if (len <= 0)
    return {};
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), md);
  OPENSSL_free(der);
  return std::string(reinterpret_cast<char*>(md), sizeof(md));
}

result<cert_subject> node_subject(X509* x) {
  auto* name = X509_get_subject_name(x);
  cert_subject s{only_entry(name, NID_commonName),
                 only_entry(name, NID_organizationalUnitName),
                 only_entry(name, NID_organizationName)};
  if (s.node_id.empty())
    return fail(errc::invalid_spec, "the certificate names no node (CN)");
  if (s.role != manager_ou && s.role != worker_ou)
    return fail(errc::invalid_spec, "the certificate names no swarm role (OU)");
  if (s.cluster_id.empty())
    return fail(errc::invalid_spec, "the certificate names no cluster (O)");
  return s;
}

x509_store_ptr store_of(const std::vector<x509_ptr>& roots) {
  x509_store_ptr store{X509_STORE_new()};
  for (auto& r : roots)
    X509_STORE_add_cert(store.get(), r.get());
  return store;
}

x509_stack_ptr stack_of(const std::vector<x509_ptr>& xs) {
  x509_stack_ptr sk{sk_X509_new_null()};
  for (auto& x : xs) {
    X509_up_ref(x.get());
    sk_X509_push(sk.get(), x.get());
  }
  return sk;
}

std::string take_ssl_error(const std::string& fallback) {
  auto err = ERR_get_error();
  ERR_clear_error();
  if (err == 0)
    return fallback;
  const char* reason = ERR_reason_error_string(err);
  return reason ? reason : fallback;
}

} // namespace actorswarm::net
