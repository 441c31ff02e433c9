#include "net/cluster_secrets.hpp"

#include "net/cert_authority.hpp"

namespace actorswarm::net {

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
  return s;
}

} // namespace actorswarm::net
