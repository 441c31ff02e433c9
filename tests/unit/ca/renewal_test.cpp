// The leader's CA decisions (actors/ca/renewal.hpp): which certificates are
// due and why, reissuing for the same key, and the steps of a root rotation.
// Certificates are texts ("NODECERT <id> <role> <cluster> by <root> until
// <unix s>") read by a fake inspector; keys and signatures are the fake
// secrets'.

#include "actors/ca/renewal.hpp"

#include <catch2/catch.hpp>

#include "actors/ca/join_token.hpp"
#include "support/fake_secrets.hpp"

using namespace actorswarm;
using namespace actorswarm::ca;

namespace {

constexpr int64_t s_ns = 1000LL * 1000 * 1000;
constexpr int64_t hour_s = 3600;
constexpr int64_t day_s = 24 * hour_s;
constexpr int64_t now_s = 1'800'000'000;
constexpr int64_t now_ns = now_s * s_ns;

std::string cert(const std::string& id, bool manager, const std::string& root,
                 int64_t until_s) {
  return "NODECERT " + id + (manager ? " manager" : " worker") + " c1 by "
         + root + " until " + std::to_string(until_s);
}

cert_inspector fake_inspector() {
  cert_inspector out;
  out.issued_by = [](const std::string& c, const std::string& root) {
    return c.find(" by " + root + " ") != std::string::npos;
  };
  out.not_after = [](const std::string& c) -> result<int64_t> {
    auto at = c.find(" until ");
    if (at == std::string::npos)
      return fail(errc::invalid_spec, "unreadable certificate");
    return std::stoll(c.substr(at + 7));
  };
  out.role_of = [](const std::string& c) -> result<std::string> {
    if (c.find(" manager ") != std::string::npos)
      return std::string{"swarm-manager"};
    if (c.find(" worker ") != std::string::npos)
      return std::string{"swarm-worker"};
    return fail(errc::invalid_spec, "unreadable certificate");
  };
  return out;
}

pb::Cluster cluster(const std::string& root = "ROOT1") {
  pb::Cluster c;
  c.set_id("c1");
  c.set_root_ca_cert_pem(root);
  c.set_root_ca_key_pem("KEY " + root);
  auto secrets = test::fake_secrets();
  auto d = secrets.cert_digest(root);
  c.mutable_join_tokens()->set_worker(make_token(*d, std::string(16, 'w')));
  c.mutable_join_tokens()->set_manager(make_token(*d, std::string(16, 'm')));
  return c;
}

pb::Node make_node(const std::string& id, bool manager,
                   const std::string& cert) {
  pb::Node n;
  n.set_id(id);
  n.set_role(manager ? pb::NodeSpec::MANAGER : pb::NodeSpec::WORKER);
  n.set_certificate_pem(cert);
  return n;
}

} // namespace

TEST_CASE("renewal: the default validity is 90 days, --cert-expiry sets it",
          "[unit]") {
  auto c = cluster();
  CHECK(node_cert_expiry_ns(c) == 90 * day_s * s_ns);
  CHECK(node_cert_days(c) == 90);
  c.mutable_spec()->mutable_ca_config()->set_node_cert_expiry_ns(2 * hour_s
                                                                 * s_ns);
  CHECK(node_cert_expiry_ns(c) == 2 * hour_s * s_ns);
  // Certificates count whole days: 2h is issued for one day.
  CHECK(node_cert_days(c) == 1);
  CHECK(issued_validity_ns(c) == day_s * s_ns);
  c.mutable_spec()->mutable_ca_config()->set_node_cert_expiry_ns(
    (30 * day_s + 1) * s_ns);
  CHECK(node_cert_days(c) == 31);
}

TEST_CASE("renewal: a fresh certificate of the current root is not due",
          "[unit]") {
  auto c = cluster();
  auto insp = fake_inspector();
  auto n = make_node("n1", true, cert("n1", true, "ROOT1", now_s + 90 * day_s));
  CHECK(renewal_reason(n, c, now_ns, insp) == renew_reason::none);
  // Two thirds into its validity it still is not.
  n.set_certificate_pem(cert("n1", true, "ROOT1", now_s + 31 * day_s));
  CHECK(renewal_reason(n, c, now_ns, insp) == renew_reason::none);
}

TEST_CASE("renewal: within the last third of its validity a certificate is "
          "due, expired ones too",
          "[unit]") {
  auto c = cluster();
  auto insp = fake_inspector();
  auto n = make_node("n1", false,
                     cert("n1", false, "ROOT1", now_s + 29 * day_s));
  CHECK(renewal_reason(n, c, now_ns, insp) == renew_reason::expiry);
  n.set_certificate_pem(cert("n1", false, "ROOT1", now_s - 10));
  CHECK(renewal_reason(n, c, now_ns, insp) == renew_reason::expiry);
}

TEST_CASE("renewal: a shorter --cert-expiry makes longer certificates due, "
          "once",
          "[unit]") {
  auto c = cluster();
  auto insp = fake_inspector();
  c.mutable_spec()->mutable_ca_config()->set_node_cert_expiry_ns(2 * hour_s
                                                                 * s_ns);
  auto n = make_node("n1", false,
                     cert("n1", false, "ROOT1", now_s + 89 * day_s));
  CHECK(renewal_reason(n, c, now_ns, insp) == renew_reason::expiry_changed);
  // What the CA issues then (one day) is not due again.
  n.set_certificate_pem(cert("n1", false, "ROOT1", now_s + day_s));
  CHECK(renewal_reason(n, c, now_ns, insp) == renew_reason::none);
  // ... until its last third.
  CHECK(renewal_reason(n, c, now_ns + 17 * hour_s * s_ns, insp)
        == renew_reason::expiry);
}

TEST_CASE("renewal: a certificate of another root or role is due", "[unit]") {
  auto c = cluster("ROOT2");
  auto insp = fake_inspector();
  auto old = make_node("n1", true,
                       cert("n1", true, "ROOT1", now_s + 90 * day_s));
  CHECK(renewal_reason(old, c, now_ns, insp) == renew_reason::rotation);
  auto demoted = make_node("n2", false,
                           cert("n2", true, "ROOT2", now_s + 90 * day_s));
  CHECK(renewal_reason(demoted, c, now_ns, insp) == renew_reason::role);
  auto promoted = make_node("n3", true,
                            cert("n3", false, "ROOT2", now_s + 90 * day_s));
  CHECK(renewal_reason(promoted, c, now_ns, insp) == renew_reason::role);
}

TEST_CASE("renewal: nodes without a certificate are skipped, unreadable "
          "ones are due",
          "[unit]") {
  auto c = cluster();
  auto insp = fake_inspector();
  std::vector<pb::Node> nodes{
    make_node("a", true, cert("a", true, "ROOT1", now_s + 90 * day_s)),
    make_node("b", false, ""),
    make_node("c", false, "garbage"),
    make_node("d", false, cert("d", false, "ROOT0", now_s + 90 * day_s)),
  };
  auto due = due_renewals(nodes, c, now_ns, insp);
  REQUIRE(due.size() == 2);
  CHECK(due[0].node_id == "c");
  CHECK(due[0].why == renew_reason::unreadable);
  CHECK(due[1].node_id == "d");
  CHECK(due[1].why == renew_reason::rotation);
  CHECK(std::string{reason_text(due[1].why)} == "rotation");
}

TEST_CASE("renewal: the next check is when the first certificate gets due",
          "[unit]") {
  auto c = cluster();
  auto insp = fake_inspector();
  int64_t max_wait = hour_s * s_ns;
  std::vector<pb::Node> nodes{
    make_node("a", true, cert("a", true, "ROOT1", now_s + 90 * day_s)),
  };
  CHECK(next_due_ns(nodes, c, now_ns, max_wait, insp) == now_ns + max_wait);
  nodes.push_back(
    make_node("b", false, cert("b", false, "ROOT1", now_s + 30 * day_s + 60)));
  CHECK(next_due_ns(nodes, c, now_ns, max_wait, insp) == now_ns + 60 * s_ns);
  nodes.push_back(make_node("c", false, cert("c", false, "ROOT1", now_s)));
  CHECK(next_due_ns(nodes, c, now_ns, max_wait, insp) == now_ns);
}

TEST_CASE("renewal: a reissued certificate is for the same key and the "
          "node's role",
          "[unit]") {
  auto c = cluster("ROOT2");
  auto secrets = test::fake_secrets();
  auto n = make_node("n1", false, "OLDCERT");
  auto x = reissue(n, c, secrets);
  REQUIRE(x);
  CHECK(*x == "NODECERT n1 worker c1 by ROOT2 for PUB OLDCERT");
  n.set_role(pb::NodeSpec::MANAGER);
  CHECK(*reissue(n, c, secrets)
        == "NODECERT n1 manager c1 by ROOT2 for PUB OLDCERT");
  CHECK(!reissue(make_node("n2", false, ""), c, secrets));
  auto keyless = c;
  keyless.clear_root_ca_key_pem();
  CHECK(reissue(n, keyless, secrets).error().code == errc::internal);
}

TEST_CASE("renewal: a rotation trusts both roots until every node holds a "
          "certificate of the new one",
          "[unit]") {
  auto secrets = test::fake_secrets();
  auto insp = fake_inspector();
  auto c = cluster("ROOT1");
  CHECK(!rotating(c));
  CHECK(trusted_roots_pem(c) == "ROOT1");
  CHECK(cert_update(c, "X").chain_pem() == "ROOT1");

  auto r = start_rotation(c, {"ROOT2", "KEY2"}, "CROSS2", secrets);
  REQUIRE(r);
  CHECK(rotating(*r));
  CHECK(r->root_ca_cert_pem() == "ROOT2");
  CHECK(r->root_ca_key_pem() == "KEY2");
  CHECK(r->previous_root_ca_cert_pem() == "ROOT1");
  CHECK(trusted_roots_pem(*r) == "CROSS2\nROOT2\nROOT1");
  auto u = cert_update(*r, "NEWCERT");
  CHECK(u.certificate_pem() == "NEWCERT");
  CHECK(u.trusted_roots_pem() == "CROSS2\nROOT2\nROOT1");
  CHECK(u.chain_pem() == "CROSS2");

  // The tokens pin the new root and keep their secrets.
  auto d2 = secrets.cert_digest("ROOT2");
  CHECK(r->join_tokens().worker() == make_token(*d2, std::string(16, 'w')));
  CHECK(r->join_tokens().manager() == make_token(*d2, std::string(16, 'm')));
  CHECK(check_token(*r, r->join_tokens().worker()));

  // A second rotation waits for the first.
  CHECK(start_rotation(*r, {"ROOT3", "KEY3"}, "CROSS3", secrets).error().code
        == errc::refused);

  std::vector<pb::Node> nodes{
    make_node("a", true, cert("a", true, "ROOT2", now_s + 90 * day_s)),
    make_node("b", false, cert("b", false, "ROOT1", now_s + 90 * day_s)),
    make_node("joining", false, ""),
  };
  CHECK(nodes_on_current_root(nodes, *r, insp) == 1);
  CHECK(!rotation_done(nodes, *r, insp));
  nodes[1].set_certificate_pem(cert("b", false, "ROOT2", now_s + 90 * day_s));
  CHECK(rotation_done(nodes, *r, insp));

  auto done = finish_rotation(*r);
  CHECK(!rotating(done));
  CHECK(done.root_ca_cert_pem() == "ROOT2");
  CHECK(trusted_roots_pem(done) == "ROOT2");
  CHECK(done.join_tokens().worker() == r->join_tokens().worker());
}
