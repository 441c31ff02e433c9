#pragma once

// Deterministic cluster_secrets for unit tests of the node's membership
// logic (actors/node/cluster_secrets.hpp): no OpenSSL, so assertions on
// Raft ids, epochs and tokens can be exact.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "actors/node/cluster_secrets.hpp"
#include "support/seed.hpp"

namespace actorswarm::test {

/// random_bytes hands out `script` first, one string per call (each must be
/// as long as the call asks for), then bytes derived from a call counter
/// (mix64), different in every call. create_root_ca gives "CERT <id>" and
/// "KEY <id>"; cert_digest is 32 bytes derived from the certificate text,
/// and a failure for an empty certificate. Node keys and certificates are
/// texts naming what they stand for.
inline node::cluster_secrets fake_secrets(std::deque<std::string> script = {}) {
  struct state {
    std::deque<std::string> script;
    uint64_t calls = 0;
  };
  auto st = std::make_shared<state>();
  st->script = std::move(script);
  node::cluster_secrets s;
  s.random_bytes = [st](size_t n) {
    ++st->calls;
    if (!st->script.empty()) {
      auto x = std::move(st->script.front());
      st->script.pop_front();
      return x;
    }
    std::string out(n, '\0');
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<char>(mix64(st->calls * 1000 + i) & 0xff);
    return out;
  };
  s.create_root_ca = [](const std::string& cluster_id,
                        int) -> result<node::cert_key_pem> {
    return node::cert_key_pem{"CERT " + cluster_id, "KEY " + cluster_id};
  };
  s.cert_digest = [](const std::string& cert_pem) -> result<std::string> {
    if (cert_pem.empty())
      return fail(errc::invalid_spec, "no certificate");
    std::string out(32, '\0');
    auto h = hash_bytes(cert_pem);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<char>(mix64(h + i) & 0xff);
    return out;
  };
  s.create_node_key = []() -> result<std::string> {
    return std::string{"NODEKEY"};
  };
  s.public_key_of = [](const std::string& pem) -> result<std::string> {
    if (pem.empty())
      return fail(errc::invalid_spec, "no key");
    return "PUB " + pem;
  };
  s.issue_node_cert = [](const node::cert_key_pem& ca, const std::string& pub,
                         const std::string& node_id, bool manager,
                         const std::string& cluster_id,
                         int) -> result<std::string> {
    if (pub.empty())
      return fail(errc::invalid_spec, "no public key");
    return "NODECERT " + node_id + (manager ? " manager " : " worker ")
           + cluster_id + " by " + ca.cert_pem + " for " + pub;
  };
  return s;
}

} // namespace actorswarm::test
