#include "net/cluster_secrets.hpp"

#include <memory>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "net/cert_authority.hpp"

namespace actorswarm::net {

namespace {

// The public key (PEM) of a PEM certificate: what a role change re-signs.
result<std::string> cert_public_key(const std::string& cert_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> in{
    BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())),
    &BIO_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{
    in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr,
    &X509_free};
  if (!cert)
    return fail(errc::invalid_spec, "the node certificate does not parse");
  std::unique_ptr<BIO, decltype(&BIO_free)> out{BIO_new(BIO_s_mem()),
                                                &BIO_free};
  if (!out
      || PEM_write_bio_PUBKEY(out.get(), X509_get0_pubkey(cert.get())) != 1)
    return fail(errc::internal, "cannot write a public key");
  char* data = nullptr;
  auto len = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

} // namespace

node::cluster_secrets openssl_secrets() {
  node::cluster_secrets s;
  s.random_bytes = [](size_t n) { return random_bytes(n); };
  s.create_root_ca = [](const std::string& cluster_id,
                        int days) -> result<node::cert_key_pem> {
    auto ca = create_root_ca(cluster_id, days);
    if (!ca)
      return ca.error();
    return node::cert_key_pem{std::move(ca->cert_pem), std::move(ca->key_pem)};
  };
  s.cert_digest = [](const std::string& cert_pem) {
    return cert_digest(cert_pem);
  };
  s.create_node_key = [] { return create_node_key(); };
  s.public_key_of = [](const std::string& pem) -> result<std::string> {
    if (pem.find("CERTIFICATE") != std::string::npos)
      return cert_public_key(pem);
    return public_key_of(pem);
  };
  s.issue_node_cert = [](const node::cert_key_pem& ca,
                         const std::string& public_key_pem,
                         const std::string& node_id, bool manager,
                         const std::string& cluster_id, int days) {
    return issue_node_cert({ca.cert_pem, ca.key_pem}, public_key_pem,
                           {node_id, manager ? manager_ou : worker_ou,
                            cluster_id},
                           days);
  };
  return s;
}

} // namespace actorswarm::net
