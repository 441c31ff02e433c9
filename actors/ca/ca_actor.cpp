#include "actors/ca/ca_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/membership.hpp"
#include "messages/caf_error.hpp"
#include "messages/defaults.hpp"
#include "messages/log.hpp"
#include "net/cert_authority.hpp"
#include "net/cluster_secrets.hpp"

namespace actorswarm::ca {

namespace {

constexpr int64_t ns_per_s = 1000LL * 1000 * 1000;
// Longest sleep between looks, shortest, and the push backoff's bounds.
constexpr int64_t max_wait_ns = 60 * ns_per_s;
constexpr int64_t min_wait_ns = 1 * ns_per_s;
constexpr int64_t backoff_min_ns = 1 * ns_per_s;
constexpr int64_t backoff_max_ns = 60 * ns_per_s;
constexpr auto push_timeout = std::chrono::seconds(10);

// One node's pushes: one at a time, failures back off.
struct push_state {
  bool busy = false;
  int failures = 0;
  int64_t not_before_ns = 0;
};

struct ca_state {
  store::store_actor_type store;
  net::cluster_transport_actor_type transport;
  node::clock* clk = nullptr;
  ca_crypto crypto;
  store::object_store view;
  bool ready = false;
  std::map<std::string, push_state> pushes;
  // The cluster update in flight (rotation start or finish).
  bool cluster_busy = false;
  // Nodes that get the roots again with their current certificate (the
  // previous root was dropped).
  std::set<std::string> roots_due;
  // The time the armed timer fires; 0 when none is armed.
  int64_t timer_at_ns = 0;
  static inline const char* name = "ca";
};

using ca_self = ca_actor_type::stateful_pointer<ca_state>;

auto ca_log() {
  return logger("ca");
}

std::vector<pb::Node> node_list(const store::object_store& view) {
  std::vector<pb::Node> out;
  out.reserve(view.nodes().size());
  for (auto& [id, n] : view.nodes())
    out.push_back(*n);
  std::sort(out.begin(), out.end(), [](const pb::Node& a, const pb::Node& b) {
    return a.id() < b.id();
  });
  return out;
}

void check(ca_self self);

void arm_timer(ca_self self, int64_t at_ns) {
  auto& st = self->state;
  auto now = st.clk->now_ns();
  at_ns = std::clamp(at_ns, now + min_wait_ns, now + max_wait_ns);
  if (st.timer_at_ns != 0 && st.timer_at_ns <= at_ns)
    return;
  st.timer_at_ns = at_ns;
  self->delayed_send(self, std::chrono::nanoseconds(at_ns - now),
                     ca_check_atom::value);
}

void propose_cluster(ca_self self, pb::Cluster c, const char* what,
                     std::function<void()> on_ok = nullptr) {
  auto& st = self->state;
  st.cluster_busy = true;
  auto b = control::single_action(pb::StoreAction::UPDATE, st.clk->now_ns());
  *b.mutable_actions(0)->mutable_cluster() = std::move(c);
  self->request(st.store, caf::infinite, propose_atom::value, std::move(b))
    .then(
      [=](uint64_t) {
        self->state.cluster_busy = false;
        ca_log()->info("{}", what);
        if (on_ok)
          on_ok();
        check(self);
      },
      [=](caf::error& err) {
        self->state.cluster_busy = false;
        ca_log()->warn("{} refused: {}", what, caf::to_string(err));
        arm_timer(self, self->state.clk->now_ns() + backoff_min_ns);
      });
}

void push_failed(ca_self self, const std::string& node_id,
                 const std::string& why) {
  auto& st = self->state;
  auto& p = st.pushes[node_id];
  p.busy = false;
  ++p.failures;
  auto backoff = backoff_min_ns << std::min(p.failures - 1, 6);
  p.not_before_ns = st.clk->now_ns() + std::min(backoff, backoff_max_ns);
  ca_log()->warn("certificate of node {} not delivered (attempt {}): {}",
                 node_id, p.failures, why);
  arm_timer(self, p.not_before_ns);
}

void push_done(ca_self self, const std::string& node_id) {
  auto& p = self->state.pushes[node_id];
  p = push_state{};
  check(self);
}

// Sends `cert` and the cluster's roots to `n`; with `record`, stores it as
// the node's certificate once the node answered.
void push(ca_self self, const pb::Node& n, const std::string& cert,
          bool record) {
  auto& st = self->state;
  auto c = st.view.cluster();
  if (!st.transport || !c)
    return;
  auto id = n.id();
  auto addr = n.status().addr();
  if (addr.empty())
    return push_failed(self, id, "the node has no address");
  st.pushes[id].busy = true;
  auto update = cert_update(*c, cert);
  self
    ->request(st.transport, push_timeout, cluster_call_atom::value, addr,
              static_cast<int32_t>(pb::Envelope::CERT),
              update.SerializeAsString())
    .then(
      [=](const std::string& bytes) {
        pb::ControlReply r;
        if (!r.ParseFromString(bytes))
          return push_failed(self, id, "malformed answer");
        if (r.code() != 0)
          return push_failed(self, id, r.error());
        self->state.roots_due.erase(id);
        if (!record)
          return push_done(self, id);
        auto& st = self->state;
        auto now = st.view.nodes().find(id);
        if (now == st.view.nodes().end())
          return push_done(self, id); // removed meanwhile
        auto x = *now->second;
        x.set_certificate_pem(cert);
        self
          ->request(st.store, caf::infinite, propose_atom::value,
                    node::node_updates({std::move(x)}, st.clk->now_ns()))
          .then(
            [=](uint64_t) {
              ca_log()->info("node {} holds its new certificate", id);
              push_done(self, id);
            },
            [=](caf::error& err) {
              push_failed(self, id, "storing it: " + caf::to_string(err));
            });
      },
      [=](caf::error& err) { push_failed(self, id, caf::to_string(err)); });
}

// Starts a root rotation when `swarm ca --rotate` asked for one.
bool maybe_start_rotation(ca_self self, const pb::Cluster& c) {
  auto& st = self->state;
  if (c.spec().ca_config().force_rotate() == c.applied_force_rotate()
      || rotating(c))
    return false;
  auto& k = st.crypto;
  auto next = k.secrets.create_root_ca(c.id(), cluster_defaults::root_ca_days);
  if (!next) {
    ca_log()->error("no new root CA: {}", next.error().message);
    return false;
  }
  auto cross = k.cross_sign({c.root_ca_cert_pem(), c.root_ca_key_pem()},
                            next->cert_pem);
  if (!cross) {
    ca_log()->error("cannot cross-sign the new root CA: {}",
                    cross.error().message);
    return false;
  }
  auto x = start_rotation(c, *next, *cross, k.secrets);
  if (!x) {
    ca_log()->error("cannot start the CA rotation: {}", x.error().message);
    return false;
  }
  x->set_applied_force_rotate(c.spec().ca_config().force_rotate());
  propose_cluster(self, std::move(*x), "CA rotation started");
  return true;
}

void check(ca_self self) {
  auto& st = self->state;
  if (!st.ready || st.cluster_busy)
    return;
  auto c = st.view.cluster();
  if (!c)
    return;
  if (maybe_start_rotation(self, *c))
    return;
  auto nodes = node_list(st.view);
  auto& insp = st.crypto.inspect;
  if (rotating(*c) && rotation_done(nodes, *c, insp)) {
    std::set<std::string> ids;
    for (auto& n : nodes)
      if (!n.certificate_pem().empty())
        ids.insert(n.id());
    propose_cluster(self, finish_rotation(*c),
                    "CA rotation done: the previous root is dropped",
                    [self, ids] { self->state.roots_due = ids; });
    return;
  }
  if (!st.transport)
    return; // no cluster port: nothing can be sent
  auto now = st.clk->now_ns();
  int64_t wake = next_due_ns(nodes, *c, now, max_wait_ns, insp);
  auto ready_to_push = [&](const std::string& id) {
    auto& p = st.pushes[id];
    if (p.busy)
      return false;
    if (p.not_before_ns > now) {
      wake = std::min(wake, p.not_before_ns);
      return false;
    }
    return true;
  };
  std::set<std::string> pushed;
  for (auto& due : due_renewals(nodes, *c, now, insp)) {
    if (!ready_to_push(due.node_id))
      continue;
    auto& n = *st.view.nodes().find(due.node_id)->second;
    auto cert = reissue(n, *c, st.crypto.secrets);
    if (!cert) {
      push_failed(self, n.id(), cert.error().message);
      continue;
    }
    ca_log()->info("new certificate for node {} ({})", n.id(),
                   reason_text(due.why));
    pushed.insert(n.id());
    push(self, n, *cert, true);
  }
  for (auto& id : std::set<std::string>{st.roots_due}) {
    auto it = st.view.nodes().find(id);
    if (it == st.view.nodes().end()) {
      st.roots_due.erase(id);
      continue;
    }
    if (pushed.count(id) > 0 || !ready_to_push(id))
      continue;
    push(self, *it->second, it->second->certificate_pem(), false);
  }
  arm_timer(self, wake);
}

ca_actor_type::behavior_type
ca_actor(ca_self self, store::store_actor_type store,
         net::cluster_transport_actor_type transport, node::clock* clk,
         ca_crypto crypto) {
  auto& st = self->state;
  st.store = store;
  st.transport = std::move(transport);
  st.clk = clk;
  st.crypto = std::move(crypto);
  store::subscribe(self, store, [=](const store_view_ptr& v) {
    auto& st = self->state;
    st.view = *v;
    st.ready = true;
    check(self);
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) {
      auto& st = self->state;
      st.view.apply_changes(*cs);
      bool relevant = false;
      for (auto& c : cs->changes)
        relevant = relevant || c.node_after || c.node_before || c.cluster_after;
      if (relevant)
        check(self);
    },
    [=](ca_check_atom) {
      self->state.timer_at_ns = 0;
      check(self);
    },
  };
}

} // namespace

ca_crypto openssl_ca_crypto() {
  ca_crypto out;
  out.secrets = net::openssl_secrets();
  out.inspect.issued_by = [](const std::string& cert, const std::string& root) {
    return static_cast<bool>(net::verify_node_cert(cert, root));
  };
  out.inspect.not_after = [](const std::string& cert) {
    return net::not_after(cert);
  };
  out.inspect.role_of = [](const std::string& cert) -> result<std::string> {
    auto s = net::subject_of(cert);
    if (!s)
      return s.error();
    return s->role;
  };
  out.cross_sign = [](const node::cert_key_pem& prev, const std::string& next) {
    return net::cross_sign({prev.cert_pem, prev.key_pem}, next);
  };
  return out;
}

ca_actor_type spawn_ca(caf::actor_system& sys,
                       const store::store_actor_type& store,
                       net::cluster_transport_actor_type transport,
                       node::clock& clk, ca_crypto crypto) {
  return sys.spawn(ca_actor, store, std::move(transport), &clk,
                   std::move(crypto));
}

} // namespace actorswarm::ca
