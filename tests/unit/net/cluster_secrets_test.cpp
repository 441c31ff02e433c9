// The OpenSSL cluster_secrets (net/cluster_secrets.hpp) the node's actors
// hand to the membership logic: random bytes, a root CA and its digest.

#include <catch2/catch.hpp>

#include "net/cluster_secrets.hpp"

using actorswarm::net::openssl_secrets;

TEST_CASE("cluster secrets: random bytes have the length asked for and "
          "differ between calls",
          "[unit]") {
  auto s = openssl_secrets();
  auto a = s.random_bytes(16);
  auto b = s.random_bytes(16);
  CHECK(a.size() == 16);
  CHECK(b.size() == 16);
  CHECK(a != b);
  CHECK(s.random_bytes(0).empty());
}

TEST_CASE("cluster secrets: a root CA is PEM, its digest 32 bytes, and a "
          "certificate that does not parse has none",
          "[unit]") {
  auto s = openssl_secrets();
  auto ca = s.create_root_ca("cluster-1", 1);
  REQUIRE(ca);
  CHECK(ca->cert_pem.rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
  CHECK(ca->key_pem.find("PRIVATE KEY-----") != std::string::npos);
  auto d = s.cert_digest(ca->cert_pem);
  REQUIRE(d);
  CHECK(d->size() == 32);
  CHECK(*s.cert_digest(ca->cert_pem) == *d);
  auto other = s.create_root_ca("cluster-1", 1);
  REQUIRE(other);
  CHECK(*s.cert_digest(other->cert_pem) != *d);
  CHECK_FALSE(s.cert_digest("not a certificate"));
}
