// The CA actor on the test coordinator (actors/ca/ca_actor.hpp): over a
// store and a fake transport that answers CERT, it reissues a certificate
// of an old root, records it once the node acknowledged, runs a rotation
// asked for by force_rotate to its end, and backs off when a node does not
// answer. Crypto is fake: certificates are texts the fake inspector reads.

#include "actors/ca/ca_actor.hpp"

#include <chrono>
#include <vector>

#include "actor/store_fixture.hpp"
#include "actors/ca/join_token.hpp"
#include "support/fake_secrets.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

constexpr int64_t s_ns = 1000LL * 1000 * 1000;
constexpr int64_t day_s = 86400;

// "NODECERT <id> <role> c1 by <root> until <unix s>"
std::string cert_text(const std::string& id, bool manager,
                      const std::string& root, int64_t until_s) {
  return "NODECERT " + id + (manager ? " manager" : " worker") + " c1 by "
         + root + " until " + std::to_string(until_s);
}

ca::ca_crypto fake_crypto(node::clock& clk) {
  ca::ca_crypto out;
  out.secrets = fake_secrets();
  out.secrets.public_key_of = [](const std::string&) -> result<std::string> {
    return std::string{"PUB"};
  };
  out.secrets.issue_node_cert =
    [&clk](const node::cert_key_pem& ca, const std::string&,
           const std::string& id, bool manager, const std::string&,
           int days) -> result<std::string> {
    return cert_text(id, manager, ca.cert_pem,
                     clk.now_ns() / s_ns + days * day_s);
  };
  out.secrets.create_root_ca = [](const std::string&,
                                  int) -> result<node::cert_key_pem> {
    return node::cert_key_pem{"ROOT2", "KEY2"};
  };
  out.cross_sign = [](const node::cert_key_pem& prev,
                      const std::string& next) -> result<std::string> {
    return "CROSS " + next + " by " + prev.cert_pem;
  };
  out.inspect.issued_by = [](const std::string& c, const std::string& root) {
    return c.find(" by " + root + " ") != std::string::npos;
  };
  out.inspect.not_after = [](const std::string& c) -> result<int64_t> {
    auto at = c.find(" until ");
    if (at == std::string::npos)
      return fail(errc::invalid_spec, "unreadable");
    return std::stoll(c.substr(at + 7));
  };
  out.inspect.role_of = [](const std::string& c) -> result<std::string> {
    return std::string{c.find(" manager ") != std::string::npos
                         ? "swarm-manager"
                         : "swarm-worker"};
  };
  return out;
}

// What the fake transport saw.
struct cert_call {
  std::string addr;
  pb::CertUpdate update;
};

struct ca_fixture : store_fixture {
  std::vector<cert_call> calls;
  bool answering = true;

  ca_fixture() {
    spawn_store();
    pb::Cluster c;
    c.set_id("c1");
    c.set_root_ca_cert_pem("ROOT1");
    c.set_root_ca_key_pem("KEY1");
    auto d = fake_secrets().cert_digest("ROOT1");
    c.mutable_join_tokens()->set_worker(ca::make_token(*d,
                                                       std::string(16, 'w')));
    pb::StoreBatch b;
    b.set_proposed_at_ns(clk.now_ns());
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::CREATE);
    *a->mutable_cluster() = c;
    propose(std::move(b));
    auto now_s = clk.now_ns() / s_ns;
    add_node("m1", true, cert_text("m1", true, "ROOT1", now_s + 90 * day_s));
    add_node("w1", false, cert_text("w1", false, "ROOT0", now_s + 90 * day_s));
  }

  void add_node(const std::string& id, bool manager, const std::string& cert) {
    auto n = make_node(id);
    n.set_role(manager ? pb::NodeSpec::MANAGER : pb::NodeSpec::WORKER);
    n.set_certificate_pem(cert);
    n.mutable_status()->set_addr(id + ":2377");
    propose(batch_of(pb::StoreAction::CREATE, n));
  }

  net::cluster_transport_actor_type spawn_transport() {
    auto t = sys.spawn([this]() -> caf::behavior {
      return {
        [this](cluster_call_atom, const std::string& addr, int32_t kind,
               const std::string& bytes) -> caf::result<std::string> {
          if (kind != pb::Envelope::CERT || !answering)
            return make_error(errc::unavailable, "unreachable");
          cert_call c{addr, {}};
          c.update.ParseFromString(bytes);
          calls.push_back(std::move(c));
          return pb::ControlReply{}.SerializeAsString();
        },
      };
    });
    track(t);
    return caf::actor_cast<net::cluster_transport_actor_type>(t);
  }

  void start_ca() {
    track(ca::spawn_ca(sys, store, spawn_transport(), clk, fake_crypto(clk)));
    drain();
  }

  std::string cert_of(const std::string& id) {
    return view()->nodes().find(id)->second->certificate_pem();
  }
};

} // namespace

TEST_CASE_METHOD(ca_fixture,
                 "ca actor: a certificate of another root is reissued, sent "
                 "and recorded",
                 "[actor]") {
  start_ca();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].addr == "w1:2377");
  CHECK(calls[0].update.trusted_roots_pem() == "ROOT1");
  CHECK(calls[0].update.certificate_pem().find("w1 worker c1 by ROOT1 ")
        != std::string::npos);
  CHECK(cert_of("w1") == calls[0].update.certificate_pem());
  // Nothing else is due: later looks send nothing.
  advance(2min);
  CHECK(calls.size() == 1);
}

TEST_CASE_METHOD(ca_fixture,
                 "ca actor: swarm ca --rotate reissues every certificate, "
                 "then drops the old root",
                 "[actor]") {
  start_ca();
  calls.clear();
  auto c = *view()->cluster();
  c.mutable_spec()->mutable_ca_config()->set_force_rotate(1);
  pb::StoreBatch b;
  b.set_proposed_at_ns(clk.now_ns());
  auto* a = b.add_actions();
  a->set_kind(pb::StoreAction::UPDATE);
  *a->mutable_cluster() = c;
  propose(std::move(b));
  drain();
  auto done = view()->cluster();
  CHECK(done->root_ca_cert_pem() == "ROOT2");
  CHECK(done->applied_force_rotate() == 1);
  CHECK(done->previous_root_ca_cert_pem().empty());
  CHECK(done->cross_signed_ca_cert_pem().empty());
  auto d2 = fake_secrets().cert_digest("ROOT2");
  CHECK(done->join_tokens().worker()
        == ca::make_token(*d2, std::string(16, 'w')));
  for (auto id : {"m1", "w1"})
    CHECK(cert_of(id).find(" by ROOT2 ") != std::string::npos);
  // Two certificates under both roots, then the new root alone to each.
  REQUIRE(calls.size() == 4);
  for (size_t i = 0; i < 2; ++i)
    CHECK(calls[i].update.trusted_roots_pem()
          == "CROSS ROOT2 by ROOT1\nROOT2\nROOT1");
  for (size_t i = 2; i < 4; ++i)
    CHECK(calls[i].update.trusted_roots_pem() == "ROOT2");
}

TEST_CASE_METHOD(ca_fixture,
                 "ca actor: an unreachable node is retried with backoff, not "
                 "in a loop",
                 "[actor]") {
  answering = false;
  start_ca();
  CHECK(calls.empty());
  CHECK(cert_of("w1").find(" by ROOT0 ") != std::string::npos);
  answering = true;
  advance(1s);
  REQUIRE(calls.size() == 1);
  CHECK(cert_of("w1").find(" by ROOT1 ") != std::string::npos);
}
