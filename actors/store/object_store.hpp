#pragma once

// The replicated state machine (DESIGN.md, Store): nodes, services, tasks,
// networks and the cluster object, each held as an immutable shared object so
// that views in other actors share them instead of copying. Every replica
// applies the same log in the same order through apply(), which validates each
// action against the current state (versions, names, forward-only task states),
// so the outcome is deterministic and identical everywhere.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "messages/docker_text.hpp"
#include "messages/objects.pb.h"
#include "messages/result.hpp"
#include "messages/store.pb.h"

namespace actorswarm::store {

template <class T>
using object_ptr = std::shared_ptr<const T>;

/// One applied change. `before` is null for a create, `after` null for a
/// remove.
struct change {
  pb::StoreAction::Kind kind = pb::StoreAction::CREATE;
  object_ptr<pb::Node> node_before, node_after;
  object_ptr<pb::Service> service_before, service_after;
  object_ptr<pb::Task> task_before, task_after;
  object_ptr<pb::Cluster> cluster_before, cluster_after;
  object_ptr<pb::Network> network_before, network_after;
};

class object_store;

/// Everything one log entry changed, in order, with its index.
struct change_set {
  uint64_t index = 0;
  std::vector<change> changes;
  /// Set when the store installed the leader's snapshot: the whole new
  /// state, `changes` being the diff from the old one. A view takes a copy
  /// (which shares the objects and the tables' cached hashes) instead of
  /// replaying every change: 100k inserts with key comparisons per watcher
  /// delayed a joining manager by seconds (issue #9).
  std::shared_ptr<const object_store> reset;
};

using change_set_ptr = std::shared_ptr<const change_set>;

/// What apply() reports for one batch: the outcome of each action.
struct apply_outcome {
  std::vector<failure> errors; // one per refused action
  size_t applied = 0;
  change_set_ptr changes;
};

/// The changes that turn `before` into `after` (a follower that installed
/// the leader's snapshot tells its watchers what moved): creates, updates
/// (meta.version differs) and removes, stamped with after's applied index.
change_set diff(const object_store& before, const object_store& after);

/// The state: maps from id to shared immutable objects, plus indexes.
class object_store {
public:
  // -- member types ----------------------------------------------------------

  template <class T>
  /// Keys view the object's own id (the entry holds the object, so the id
  /// lives as long as the key): 48 bytes less per object and view than a
  /// copied 25-character id (a million tasks in four views).
  using table = std::unordered_map<std::string_view, object_ptr<T>>;

  // -- writes ----------------------------------------------------------------

  /// Validates and applies one committed batch at log `index`. Atomic batches
  /// apply all actions or none. Sets meta.version = index and timestamps from
  /// batch.proposed_at_ns. Pure function of (state, batch, index).
  apply_outcome apply(const pb::StoreBatch& batch, uint64_t index);

  /// Replays changes another store produced (views in watchers); a
  /// snapshot install (xs.reset) replaces the whole view.
  void apply_changes(const change_set& xs);

  /// Replaces the whole state (snapshot restore).
  void restore(const pb::StoreSnapshot& snap);

  /// Same, taking the objects out of `snap` instead of copying them.
  void restore(pb::StoreSnapshot&& snap);

  /// snapshot().SerializeAsString() without the intermediate copy.
  std::string serialize_snapshot() const;

  /// Serializes the whole state.
  pb::StoreSnapshot snapshot() const;

  // -- reads -----------------------------------------------------------------

  const table<pb::Node>& nodes() const noexcept {
    return nodes_;
  }

  const table<pb::Service>& services() const noexcept {
    return services_;
  }

  const table<pb::Task>& tasks() const noexcept {
    return tasks_;
  }

  const table<pb::Network>& networks() const noexcept {
    return networks_;
  }

  /// The cluster object, or null before `swarm init`.
  object_ptr<pb::Cluster> cluster() const;

  /// Ids of the tasks of one service.
  std::vector<object_ptr<pb::Task>>
  tasks_of(const std::string& service_id) const;

  /// Looks up a service by name.
  object_ptr<pb::Service> service_by_name(const std::string& name) const;

  /// The name rule (SwarmKit's store): a service name belongs to one
  /// service. The name_conflict failure when a service other than `svc`
  /// (by id) holds `svc`'s name; none when the name is free or its own.
  std::optional<failure> service_name_conflict(const pb::Service& svc) const;

  /// Looks up a network by name.
  object_ptr<pb::Network> network_by_name(const std::string& name) const;

  /// The same rule for networks: a network name belongs to one network.
  std::optional<failure> network_name_conflict(const pb::Network& net) const;

  uint64_t applied_index() const noexcept {
    return applied_index_;
  }

private:
  result<change> check(const pb::StoreAction& x, int64_t now_ns,
                       uint64_t index) const;
  void commit(const change& x);

  table<pb::Node> nodes_;
  table<pb::Service> services_;
  table<pb::Task> tasks_;
  table<pb::Cluster> clusters_;
  table<pb::Network> networks_;
  std::unordered_map<std::string, std::string> service_names_; // name -> id
  std::unordered_map<std::string, std::string> network_names_; // name -> id
  std::unordered_map<std::string,
                     std::map<std::string_view, object_ptr<pb::Task>>>
    tasks_by_service_;
  uint64_t applied_index_ = 0;
};

/// Resolves a user reference (full id, unique id prefix, or name) against a
/// table; `name_of` extracts the name (may return empty).
template <class T, class NameOf>
result<object_ptr<T>> resolve(const object_store::table<T>& xs,
                              const std::string& ref, const char* kind,
                              NameOf name_of) {
  if (ref.empty())
    return fail(errc::invalid_spec, std::string{kind} + " reference is empty");
  if (auto i = xs.find(ref); i != xs.end())
    return i->second;
  object_ptr<T> by_name, by_prefix;
  size_t prefix_hits = 0;
  for (auto& [id, obj] : xs) {
    if (name_of(*obj) == ref) {
      by_name = obj;
    } else if (id.compare(0, ref.size(), ref) == 0) {
      by_prefix = obj;
      ++prefix_hits;
    }
  }
  if (by_name)
    return by_name;
  if (prefix_hits == 1)
    return by_prefix;
  if (prefix_hits > 1)
    return fail(errc::ambiguous,
                docker_text::ambiguous(kind, ref, prefix_hits));
  return fail(errc::not_found, docker_text::no_such(kind, ref));
}

} // namespace actorswarm::store
