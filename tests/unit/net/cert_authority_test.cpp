// Node certificates of the cluster CA (net/cert_authority.hpp): issued for
// a node's own key, verified against the cluster's roots, refused when the
// CA, the time, the bytes or the key are wrong, and carried across a CA
// rotation by a cross-signature.

#include "net/cert_authority.hpp"

#include <ctime>

#include <catch2/catch.hpp>

namespace net = actorswarm::net;

namespace {

net::key_pair_pem make_ca(const std::string& cluster = "cluster-1") {
  auto ca = net::create_root_ca(cluster, 30);
  REQUIRE(ca);
  return *ca;
}

// A node key and its certificate from `ca`.
net::key_pair_pem issue(const net::key_pair_pem& ca, const std::string& cn,
                        const std::string& role = net::manager_ou,
                        const std::string& cluster = "cluster-1",
                        int days = 30) {
  auto key = net::create_node_key();
  REQUIRE(key);
  auto pub = net::public_key_of(*key);
  REQUIRE(pub);
  auto cert = net::issue_node_cert(ca, *pub, {cn, role, cluster}, days);
  REQUIRE(cert);
  return {*cert, *key};
}

// An RSA key and a P-384 EC key (made with openssl for this test).
const char* rsa_public_key
  = "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7uJZHl4nYeWLPmwQoOSUUoZRN\n"
    "X7bNbmUV4ZmIjXZlgvS3dMvXIIqOLua9C1SShO6pnpOOf5oABo/23YOhalM01uBN\n"
    "0OtDTT+cQN0gHrpDcHGtPthg4RK9uNkIdXEZVCLle+XORoGRscnsxlaM1sMD6tZL\n"
    "6xudJf08j/YQXh46zQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
const char* p384_public_key
  = "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEadzkDVL5t2HrcmRfhhJT9Rqepwa1+wop\n"
    "BHReet2iBsZ3toRyKldoPTIG614WXlD3I7ayr5IXg5dEkbav/zUMqjFS0YpewVUG\n"
    "4/XFImAgsF3DXq3K99TMABgVlfj7yK3n\n"
    "-----END PUBLIC KEY-----\n";

} // namespace

TEST_CASE("cert authority: a node certificate issued by the CA verifies "
          "against its root and names the node, role and cluster",
          "[unit]") {
  auto ca = make_ca();
  for (auto role : {net::manager_ou, net::worker_ou}) {
    auto node = issue(ca, "node-a", role);
    auto s = net::verify_node_cert(node.cert_pem, ca.cert_pem);
    REQUIRE(s);
    CHECK(s->node_id == "node-a");
    CHECK(s->role == role);
    CHECK(s->cluster_id == "cluster-1");
    auto shown = net::subject_of(node.cert_pem);
    REQUIRE(shown);
    CHECK(shown->node_id == "node-a");
  }
}

TEST_CASE("cert authority: the root digest is stable and a node's expiry "
          "is days from now",
          "[unit]") {
  auto ca = make_ca();
  auto d = net::cert_digest(ca.cert_pem);
  REQUIRE(d);
  CHECK(d->size() == 32);
  CHECK(*net::cert_digest(ca.cert_pem) == *d);
  auto node = issue(ca, "node-a", net::worker_ou, "cluster-1", 90);
  auto end = net::not_after(node.cert_pem);
  REQUIRE(end);
  auto expected = static_cast<int64_t>(std::time(nullptr)) + 90L * 86400;
  CHECK(*end <= expected);
  CHECK(*end > expected - 120);
  CHECK_FALSE(net::not_after("garbage"));
}

TEST_CASE("cert authority: a certificate of another CA is refused, also "
          "one whose CA has the same name",
          "[unit]") {
  auto ca = make_ca();
  auto other = make_ca(); // same CN and O, another key
  auto node = issue(other, "node-a");
  auto s = net::verify_node_cert(node.cert_pem, ca.cert_pem);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == actorswarm::errc::invalid_spec);
  CHECK(s.error().message.find("does not verify") != std::string::npos);
  // Trusting both roots (as during a rotation) accepts it.
  CHECK(net::verify_node_cert(node.cert_pem, ca.cert_pem + other.cert_pem));
}

TEST_CASE("cert authority: an expired certificate is refused", "[unit]") {
  auto ca = make_ca();
  auto node = issue(ca, "node-a", net::manager_ou, "cluster-1", 0);
  auto s = net::verify_node_cert(node.cert_pem, ca.cert_pem);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("expired") != std::string::npos);
}

TEST_CASE("cert authority: a certificate of another cluster verifies "
          "only against that cluster's CA and names it",
          "[unit]") {
  auto ca1 = make_ca("cluster-1");
  auto ca2 = make_ca("cluster-2");
  auto node = issue(ca2, "node-b", net::manager_ou, "cluster-2");
  CHECK_FALSE(net::verify_node_cert(node.cert_pem, ca1.cert_pem));
  auto s = net::verify_node_cert(node.cert_pem, ca2.cert_pem);
  REQUIRE(s);
  CHECK(s->cluster_id == "cluster-2");
}

TEST_CASE("cert authority: a tampered certificate is refused", "[unit]") {
  auto ca = make_ca();
  auto node = issue(ca, "node-a");
  // Flip one character of the base64 body, inside the signed part.
  auto pem = node.cert_pem;
  auto pos = pem.find('\n') + 100;
  pem[pos] = pem[pos] == 'A' ? 'B' : 'A';
  CHECK_FALSE(net::verify_node_cert(pem, ca.cert_pem));
  CHECK_FALSE(net::verify_node_cert("not a certificate", ca.cert_pem));
  CHECK_FALSE(net::verify_node_cert(node.cert_pem, "not a root"));
}

TEST_CASE("cert authority: a garbage or non-P-256 public key, a bad "
          "subject and a mismatched CA key are refused",
          "[unit]") {
  auto ca = make_ca();
  net::cert_subject who{"node-a", net::manager_ou, "cluster-1"};
  auto garbage = net::issue_node_cert(ca, "garbage", who, 1);
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().code == actorswarm::errc::invalid_spec);
  for (auto wrong : {rsa_public_key, p384_public_key}) {
    auto refused = net::issue_node_cert(ca, wrong, who, 1);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("P-256") != std::string::npos);
  }
  auto key = net::create_node_key();
  REQUIRE(key);
  auto pub = net::public_key_of(*key);
  REQUIRE(pub);
  CHECK_FALSE(net::issue_node_cert(ca, *pub, {"", net::manager_ou, "c"}, 1));
  CHECK_FALSE(net::issue_node_cert(ca, *pub, {"n", "swarm-admin", "c"}, 1));
  CHECK_FALSE(net::issue_node_cert(ca, *pub, {"n", net::worker_ou, ""}, 1));
  CHECK_FALSE(net::issue_node_cert(ca, *pub, who, -1));
  auto other = make_ca();
  auto mixed = net::issue_node_cert({ca.cert_pem, other.key_pem}, *pub, who, 1);
  REQUIRE_FALSE(mixed);
  CHECK(mixed.error().message.find("do not match") != std::string::npos);
  CHECK_FALSE(net::public_key_of("garbage"));
}

TEST_CASE("cert authority: node keys differ and a public key belongs to "
          "its private key",
          "[unit]") {
  auto a = net::create_node_key();
  auto b = net::create_node_key();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
  auto pa = net::public_key_of(*a);
  REQUIRE(pa);
  CHECK(pa->rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  CHECK(*net::public_key_of(*a) == *pa);
  CHECK(*net::public_key_of(*b) != *pa);
}

TEST_CASE("cert authority: a CA certificate is not a node certificate",
          "[unit]") {
  auto ca = make_ca();
  // The root chains to itself but names no role.
  CHECK_FALSE(net::verify_node_cert(ca.cert_pem, ca.cert_pem));
  CHECK_FALSE(net::subject_of(ca.cert_pem));
}

TEST_CASE("cert authority: after a rotation, a node that trusts only the "
          "old root accepts a new root's certificate through the "
          "cross-signature",
          "[unit]") {
  auto old_root = make_ca();
  auto new_root = make_ca();
  auto node = issue(new_root, "node-n");
  auto cross = net::cross_sign(old_root, new_root.cert_pem);
  REQUIRE(cross);
  CHECK_FALSE(net::verify_node_cert(node.cert_pem, old_root.cert_pem));
  auto s = net::verify_node_cert(node.cert_pem, old_root.cert_pem, *cross);
  REQUIRE(s);
  CHECK(s->node_id == "node-n");
  // Nodes that trust the new root, or both, accept it with or without
  // the cross-signature in the chain.
  CHECK(net::verify_node_cert(node.cert_pem, new_root.cert_pem, *cross));
  CHECK(net::verify_node_cert(node.cert_pem,
                              old_root.cert_pem + new_root.cert_pem, *cross));
  // The old root's certificates still verify for nodes trusting both.
  auto old_node = issue(old_root, "node-o");
  CHECK(net::verify_node_cert(old_node.cert_pem,
                              old_root.cert_pem + new_root.cert_pem, *cross));
  // A cross-signature by another CA's key is worthless.
  auto stranger = make_ca();
  auto bad = net::cross_sign(stranger, new_root.cert_pem);
  REQUIRE(bad);
  CHECK_FALSE(net::verify_node_cert(node.cert_pem, old_root.cert_pem, *bad));
  // Only a CA is cross-signed.
  CHECK_FALSE(net::cross_sign(old_root, node.cert_pem));
}
