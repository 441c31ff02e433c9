#pragma once

// A read view of the store for the control rules' unit tests: objects are
// stored through object_store::apply, as the store actor would, so they
// carry versions and the name index.

#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include "actor/builders.hpp"
#include "actors/store/object_store.hpp"

namespace actorswarm::test {

/// The clock reading the tests pass as `now_ns`.
constexpr int64_t now_ns = 1'700'000'000'000'000'000;

/// A view that objects are added to one batch (one log index) at a time.
class view_builder {
public:
  view_builder& add(const pb::Node& x) {
    auto b = create();
    *b.mutable_actions(0)->mutable_node() = x;
    return apply(b);
  }

  view_builder& add(const pb::Service& x) {
    auto b = create();
    *b.mutable_actions(0)->mutable_service() = x;
    return apply(b);
  }

  view_builder& add(const pb::Task& x) {
    auto b = create();
    *b.mutable_actions(0)->mutable_task() = x;
    return apply(b);
  }

  view_builder& add(const pb::Network& x) {
    auto b = create();
    *b.mutable_actions(0)->mutable_network() = x;
    return apply(b);
  }

  view_builder& add(const pb::Cluster& x) {
    auto b = create();
    *b.mutable_actions(0)->mutable_cluster() = x;
    return apply(b);
  }

  /// Applies `b` at the next index; the test fails if the store refuses it.
  view_builder& apply(const pb::StoreBatch& b) {
    auto out = try_apply(b);
    INFO("refused: " << (out.errors.empty() ? "" : out.errors[0].message));
    REQUIRE(out.errors.empty());
    return *this;
  }

  /// Applies `b` at the next index and returns the store's outcome.
  store::apply_outcome try_apply(const pb::StoreBatch& b) {
    return view_.apply(b, ++index_);
  }

  const store::object_store& view() const {
    return view_;
  }

private:
  // Each batch one nanosecond after the last: later objects are newer.
  pb::StoreBatch create() const {
    pb::StoreBatch b;
    b.set_atomic(true);
    b.set_proposed_at_ns(now_ns + static_cast<int64_t>(index_));
    b.add_actions()->set_kind(pb::StoreAction::CREATE);
    return b;
  }

  store::object_store view_;
  uint64_t index_ = 0;
};

/// A manager of `id` with Raft id `raft_id`, hostname `id`.
inline pb::Node make_manager(const std::string& id, uint64_t raft_id) {
  auto n = make_node(id);
  n.set_role(pb::NodeSpec::MANAGER);
  n.mutable_manager_status()->set_raft_id(raft_id);
  n.mutable_manager_status()->set_reachability(pb::ManagerStatus::REACHABLE);
  return n;
}

/// The cluster object with Raft ticks 10 (election) and 1 (heartbeat).
inline pb::Cluster make_cluster(const std::string& id = "c1") {
  pb::Cluster c;
  c.set_id(id);
  c.mutable_spec()->set_election_tick(10);
  c.mutable_spec()->set_heartbeat_tick(1);
  c.set_root_ca_key_pem("secret key");
  c.set_root_ca_cert_pem("cert");
  return c;
}

/// The error a refused decision carries (empty when it was allowed).
template <class T>
failure refusal(const result<T>& r) {
  return r ? failure{errc::none, ""} : r.error();
}

} // namespace actorswarm::test
