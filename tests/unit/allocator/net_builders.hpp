#pragma once

// Networks, services with endpoints, tasks and nodes for the allocator's tests,
// and a leader loop that applies the allocator core's batches to a store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/allocator/allocator_core.hpp"
#include "actors/store/object_store.hpp"
#include "messages/store.pb.h"

namespace actorswarm::allocator::test {

inline pb::Network make_network(const std::string& id,
                                const std::string& subnet = "",
                                bool ingress = false) {
  pb::Network n;
  n.set_id(id);
  n.mutable_spec()->set_name(ingress ? "ingress" : "net-" + id);
  n.mutable_spec()->set_driver("overlay");
  n.mutable_spec()->set_ingress(ingress);
  n.mutable_spec()->mutable_ipam()->set_subnet(subnet);
  return n;
}

inline pb::PortConfig
make_port(uint32_t target, uint32_t published,
          pb::PortConfig::PublishMode mode = pb::PortConfig::INGRESS,
          pb::PortConfig::Protocol proto = pb::PortConfig::TCP) {
  pb::PortConfig p;
  p.set_target_port(target);
  p.set_published_port(published);
  p.set_publish_mode(mode);
  p.set_protocol(proto);
  return p;
}

/// A replicated service `id` named "svc-<id>" on `networks` (ids) publishing
/// `ports`.
inline pb::Service make_net_service(const std::string& id,
                                    std::vector<std::string> networks,
                                    std::vector<pb::PortConfig> ports = {},
                                    bool dnsrr = false) {
  pb::Service s;
  s.set_id(id);
  s.set_spec_version(1);
  auto& spec = *s.mutable_spec();
  spec.set_name("svc-" + id);
  spec.set_mode(pb::ServiceSpec::REPLICATED);
  spec.set_replicas(1);
  spec.mutable_task()->mutable_container()->set_image("host");
  for (auto& n : networks) {
    auto& att = *spec.add_networks();
    att.set_target(n);
    att.add_aliases("alias-" + id);
  }
  for (auto& p : ports)
    *spec.mutable_endpoint()->add_ports() = p;
  if (dnsrr)
    spec.mutable_endpoint()->set_mode(pb::EndpointSpec::DNSRR);
  return s;
}

/// A NEW task of `svc` in `slot`.
inline pb::Task make_new_task(const std::string& id, const pb::Service& svc,
                              uint64_t slot) {
  pb::Task t;
  t.set_id(id);
  *t.mutable_spec() = svc.spec().task();
  t.set_service_id(svc.id());
  t.set_service_name(svc.spec().name());
  t.set_slot(slot);
  t.set_desired_state(pb::RUNNING);
  t.set_spec_version(svc.spec_version());
  t.mutable_status()->set_state(pb::NEW);
  return t;
}

/// A node `id` (hostname "host-<id>") in `role`, READY.
inline pb::Node make_net_node(const std::string& id,
                              pb::NodeSpec::Role role = pb::NodeSpec::WORKER) {
  pb::Node n;
  n.set_id(id);
  n.set_role(role);
  n.mutable_spec()->set_desired_role(role);
  n.mutable_description()->set_hostname("host-" + id);
  n.mutable_status()->set_state(pb::NodeStatus::READY);
  n.mutable_status()->set_addr("192.0.2.1");
  return n;
}

/// The dispatcher's status-only node update (any version).
inline pb::StoreBatch node_status(const pb::Node& n,
                                  pb::NodeStatus::State state) {
  pb::StoreBatch b;
  auto* a = b.add_actions();
  a->set_kind(pb::StoreAction::UPDATE);
  a->set_status_only(true);
  auto& x = *a->mutable_node();
  x.set_id(n.id());
  *x.mutable_description() = n.description();
  *x.mutable_status() = n.status();
  x.mutable_status()->set_state(state);
  return b;
}

inline void put(pb::StoreAction& a, const pb::Node& x) {
  *a.mutable_node() = x;
}

inline void put(pb::StoreAction& a, const pb::Network& x) {
  *a.mutable_network() = x;
}

inline void put(pb::StoreAction& a, const pb::Service& x) {
  *a.mutable_service() = x;
}

inline void put(pb::StoreAction& a, const pb::Task& x) {
  *a.mutable_task() = x;
}

inline void put(pb::StoreAction& a, const pb::Cluster& x) {
  *a.mutable_cluster() = x;
}

/// A batch of one action.
template <class T>
pb::StoreBatch one(pb::StoreAction::Kind kind, const T& x) {
  pb::StoreBatch b;
  auto* a = b.add_actions();
  a->set_kind(kind);
  put(*a, x);
  return b;
}

/// The leader's loop without actors: a store, and an allocator core that
/// sees every applied change and proposes until it has no work.
struct leader_loop {
  store::object_store db;
  allocator_core core;
  uint64_t index = 0;
  std::vector<std::string> conflicts;

  leader_loop() {
    conflicts = core.restore(db);
    core.allocate_nodes_always(); // the node tests need no published port
  }

  /// Applies `b` and shows the changes to the core; the refused actions.
  size_t apply(const pb::StoreBatch& b) {
    auto out = db.apply(b, ++index);
    if (out.changes)
      for (auto& c : out.changes->changes)
        core.note(c);
    return out.errors.size();
  }

  /// Applies the core's batches until it has none; returns how many.
  size_t settle() {
    for (size_t i = 0; i < 100; ++i) {
      auto b = core.next_batch(static_cast<int64_t>(index) * 1000);
      if (!b)
        return i;
      apply(*b);
    }
    FAIL("the allocator did not settle in 100 batches");
    return 0;
  }

  template <class T>
  void create(const T& x) {
    REQUIRE(apply(one(pb::StoreAction::CREATE, x)) == 0);
  }

  template <class T>
  void remove(const T& x) {
    REQUIRE(apply(one(pb::StoreAction::REMOVE, x)) == 0);
  }

  pb::Task task(const std::string& id) {
    auto it = db.tasks().find(id);
    REQUIRE(it != db.tasks().end());
    return *it->second;
  }

  pb::Service service(const std::string& id) {
    auto it = db.services().find(id);
    REQUIRE(it != db.services().end());
    return *it->second;
  }

  pb::Node node(const std::string& id) {
    auto it = db.nodes().find(id);
    REQUIRE(it != db.nodes().end());
    return *it->second;
  }

  pb::Network network(const std::string& id) {
    auto it = db.networks().find(id);
    REQUIRE(it != db.networks().end());
    return *it->second;
  }
};

} // namespace actorswarm::allocator::test
