#include "actors/store/object_store.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include "messages/assert.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::store {

namespace {

// Which object an action targets, as the four typed pointers of a change.
template <class T>
void stamp(T& obj, uint64_t index, int64_t now_ns, bool create) {
  auto* meta = obj.mutable_meta();
  meta->set_version(index);
  if (create)
    meta->set_created_at_ns(now_ns);
  meta->set_updated_at_ns(now_ns);
}

failure stale(const char* kind, const std::string& id, uint64_t want,
              uint64_t have) {
  return fail(errc::stale_version,
              std::string{"update out of sequence: "} + kind + " " + id
                + " was read at version " + std::to_string(want)
                + " but is now at version " + std::to_string(have));
}

// Generic validation for one table. `before` is the stored object or null.
template <class T>
result<object_ptr<T>> check_one(pb::StoreAction::Kind kind, const T& obj,
                                const object_ptr<T>& before, const char* what,
                                uint64_t index, int64_t now_ns) {
  if (obj.id().empty())
    return fail(errc::invalid_spec, std::string{what} + " without id");
  switch (kind) {
    case pb::StoreAction::CREATE: {
      if (before)
        return fail(errc::name_conflict,
                    std::string{what} + " " + obj.id() + " already exists");
      auto x = std::make_shared<T>(obj);
      stamp(*x, index, now_ns, true);
      return object_ptr<T>{std::move(x)};
    }
    case pb::StoreAction::UPDATE: {
      if (!before)
        return fail(errc::not_found, docker_text::no_such(what, obj.id()));
      if (before->meta().version() != obj.meta().version())
        return stale(what, obj.id(), obj.meta().version(),
                     before->meta().version());
      auto x = std::make_shared<T>(obj);
      x->mutable_meta()->set_created_at_ns(before->meta().created_at_ns());
      stamp(*x, index, now_ns, false);
      return object_ptr<T>{std::move(x)};
    }
    case pb::StoreAction::REMOVE: {
      if (!before)
        return fail(errc::not_found, docker_text::no_such(what, obj.id()));
      if (obj.meta().version() != 0
          && before->meta().version() != obj.meta().version())
        return stale(what, obj.id(), obj.meta().version(),
                     before->meta().version());
      return object_ptr<T>{};
    }
    default:
      return fail(errc::bad_request, "unknown store action");
  }
}

// The change that undoes `c`.
change inverse(const change& c) {
  change out = c;
  std::swap(out.node_before, out.node_after);
  std::swap(out.service_before, out.service_after);
  std::swap(out.task_before, out.task_after);
  std::swap(out.cluster_before, out.cluster_after);
  std::swap(out.network_before, out.network_after);
  return out;
}

template <class T>
object_ptr<T> find(const object_store::table<T>& xs, const std::string& id) {
  auto i = xs.find(id);
  return i == xs.end() ? nullptr : i->second;
}

} // namespace

result<change> object_store::check(const pb::StoreAction& x, int64_t now_ns,
                                   uint64_t index) const {
  change out;
  out.kind = x.kind();
  switch (x.target_case()) {
    case pb::StoreAction::kNode: {
      out.node_before = find(nodes_, x.node().id());
      auto obj = x.node();
      if (x.status_only() && out.node_before) {
        auto merged = *out.node_before;
        *merged.mutable_status() = obj.status();
        *merged.mutable_description() = obj.description();
        obj = std::move(merged);
      }
      auto r = check_one(x.kind(), obj, out.node_before, "node", index, now_ns);
      if (!r)
        return r.error();
      out.node_after = *r;
      return out;
    }
    case pb::StoreAction::kService: {
      auto& svc = x.service();
      out.service_before = find(services_, svc.id());
      if (x.kind() != pb::StoreAction::REMOVE) {
        if (svc.spec().name().empty())
          return fail(errc::invalid_spec, "service without name");
        if (auto conflict = service_name_conflict(svc))
          return *conflict;
      }
      auto r = check_one(x.kind(), svc, out.service_before, "service", index,
                         now_ns);
      if (!r)
        return r.error();
      out.service_after = *r;
      return out;
    }
    case pb::StoreAction::kTask: {
      out.task_before = find(tasks_, x.task().id());
      auto t = x.task();
      if (x.status_only() && out.task_before) {
        auto merged = *out.task_before;
        *merged.mutable_status() = t.status();
        t = std::move(merged);
      }
      // SwarmKit: tasks never move backwards.
      if (x.kind() == pb::StoreAction::UPDATE && out.task_before
          && t.status().state() < out.task_before->status().state())
        return fail(errc::invalid_spec,
                    "task " + t.id() + " cannot move back from state "
                      + pb::TaskState_Name(out.task_before->status().state())
                      + " to " + pb::TaskState_Name(t.status().state()));
      if (x.kind() == pb::StoreAction::UPDATE && out.task_before
          && t.desired_state() < out.task_before->desired_state())
        return fail(errc::invalid_spec,
                    "task " + t.id() + ": desired state cannot move back");
      auto r = check_one(x.kind(), t, out.task_before, "task", index, now_ns);
      if (!r)
        return r.error();
      out.task_after = *r;
      return out;
    }
    case pb::StoreAction::kCluster: {
      out.cluster_before = find(clusters_, x.cluster().id());
      auto r = check_one(x.kind(), x.cluster(), out.cluster_before, "cluster",
                         index, now_ns);
      if (!r)
        return r.error();
      out.cluster_after = *r;
      return out;
    }
    case pb::StoreAction::kNetwork: {
      auto& net = x.network();
      out.network_before = find(networks_, net.id());
      if (x.kind() != pb::StoreAction::REMOVE) {
        if (net.spec().name().empty())
          return fail(errc::invalid_spec, "network without name");
        if (auto conflict = network_name_conflict(net))
          return *conflict;
      }
      auto r = check_one(x.kind(), net, out.network_before, "network", index,
                         now_ns);
      if (!r)
        return r.error();
      out.network_after = *r;
      return out;
    }
    default:
      return fail(errc::bad_request, "store action without target");
  }
}

apply_outcome object_store::apply(const pb::StoreBatch& batch, uint64_t index) {
  AS_ASSERT(index > applied_index_);
  apply_outcome out;
  auto cs = std::make_shared<change_set>();
  cs->index = index;
  if (batch.atomic()) {
    // Apply in order so later actions see earlier ones (create then update in
    // one batch); on the first refusal undo what was applied, newest first.
    for (auto& x : batch.actions()) {
      auto r = check(x, batch.proposed_at_ns(), index);
      if (!r) {
        for (auto i = cs->changes.rbegin(); i != cs->changes.rend(); ++i)
          commit(inverse(*i));
        out.errors.push_back(r.error());
        out.changes
          = std::make_shared<change_set>(change_set{index, {}, nullptr});
        applied_index_ = index;
        return out;
      }
      commit(*r);
      cs->changes.push_back(std::move(*r));
    }
  } else {
    for (auto& x : batch.actions()) {
      auto r = check(x, batch.proposed_at_ns(), index);
      if (!r) {
        out.errors.push_back(r.error());
        continue;
      }
      commit(*r);
      cs->changes.push_back(std::move(*r));
    }
  }
  out.applied = cs->changes.size();
  applied_index_ = index;
  out.changes = std::move(cs);
  return out;
}

void object_store::commit(const change& c) {
  // Erase, then insert: the key views the id of the object it maps to.
  auto put = [](auto& tbl, const auto& before, const auto& after) {
    if (before)
      tbl.erase(before->id());
    if (after) {
      tbl.erase(after->id());
      tbl.emplace(after->id(), after);
    }
  };
  put(nodes_, c.node_before, c.node_after);
  put(clusters_, c.cluster_before, c.cluster_after);
  if (c.network_before || c.network_after) {
    if (c.network_before)
      network_names_.erase(c.network_before->spec().name());
    if (c.network_after)
      network_names_[c.network_after->spec().name()] = c.network_after->id();
    put(networks_, c.network_before, c.network_after);
  }
  if (c.service_before || c.service_after) {
    if (c.service_before)
      service_names_.erase(c.service_before->spec().name());
    if (c.service_after)
      service_names_[c.service_after->spec().name()] = c.service_after->id();
    put(services_, c.service_before, c.service_after);
  }
  if (c.task_before || c.task_after) {
    if (c.task_before) {
      auto i = tasks_by_service_.find(c.task_before->service_id());
      if (i != tasks_by_service_.end()) {
        i->second.erase(c.task_before->id());
        if (i->second.empty())
          tasks_by_service_.erase(i);
      }
    }
    if (c.task_after) {
      auto& xs = tasks_by_service_[c.task_after->service_id()];
      xs.erase(c.task_after->id());
      xs.emplace(c.task_after->id(), c.task_after);
    }
    put(tasks_, c.task_before, c.task_after);
  }
}

void object_store::apply_changes(const change_set& xs) {
  if (xs.reset) {
    *this = *xs.reset;
    return;
  }
  for (auto& c : xs.changes)
    commit(c);
  applied_index_ = std::max(applied_index_, xs.index);
}

void object_store::restore(const pb::StoreSnapshot& snap) {
  restore(pb::StoreSnapshot{snap});
}

void object_store::restore(pb::StoreSnapshot&& snap) {
  *this = object_store{};
  auto take = [this](auto& xs, auto set) {
    for (auto& x : xs) {
      change c;
      set(c, std::make_shared<std::decay_t<decltype(x)>>(std::move(x)));
      commit(c);
    }
  };
  take(*snap.mutable_nodes(), [](change& c, auto p) { c.node_after = p; });
  take(*snap.mutable_services(),
       [](change& c, auto p) { c.service_after = p; });
  take(*snap.mutable_tasks(), [](change& c, auto p) { c.task_after = p; });
  take(*snap.mutable_clusters(),
       [](change& c, auto p) { c.cluster_after = p; });
  take(*snap.mutable_networks(),
       [](change& c, auto p) { c.network_after = p; });
  applied_index_ = snap.applied_index();
}

std::string object_store::serialize_snapshot() const {
  // The bytes of snapshot().SerializeAsString() without first copying
  // every object into a StoreSnapshot (a second copy of the state).
  using wfl = google::protobuf::internal::WireFormatLite;
  std::string out;
  {
    google::protobuf::io::StringOutputStream sos{&out};
    google::protobuf::io::CodedOutputStream cos{&sos};
    auto put = [&cos](int field, const google::protobuf::MessageLite& m) {
      cos.WriteTag(wfl::MakeTag(field, wfl::WIRETYPE_LENGTH_DELIMITED));
      cos.WriteVarint32(static_cast<uint32_t>(m.ByteSizeLong()));
      m.SerializeWithCachedSizes(&cos);
    };
    for (auto& [id, x] : nodes_)
      put(pb::StoreSnapshot::kNodesFieldNumber, *x);
    for (auto& [id, x] : services_)
      put(pb::StoreSnapshot::kServicesFieldNumber, *x);
    for (auto& [id, x] : tasks_)
      put(pb::StoreSnapshot::kTasksFieldNumber, *x);
    for (auto& [id, x] : clusters_)
      put(pb::StoreSnapshot::kClustersFieldNumber, *x);
    if (applied_index_ != 0) {
      cos.WriteTag(wfl::MakeTag(pb::StoreSnapshot::kAppliedIndexFieldNumber,
                                wfl::WIRETYPE_VARINT));
      cos.WriteVarint64(applied_index_);
    }
    // After applied_index, in field order, as SerializeAsString writes.
    for (auto& [id, x] : networks_)
      put(pb::StoreSnapshot::kNetworksFieldNumber, *x);
  }
  return out;
}

namespace {

template <class T, class Set>
void diff_table(const object_store::table<T>& before,
                const object_store::table<T>& after, std::vector<change>& out,
                Set set) {
  for (const auto& [id, x] : after) {
    auto i = before.find(id);
    if (i == before.end()) {
      out.emplace_back();
      out.back().kind = pb::StoreAction::CREATE;
      set(out.back(), nullptr, x);
    } else if (i->second->meta().version() != x->meta().version()) {
      out.emplace_back();
      out.back().kind = pb::StoreAction::UPDATE;
      set(out.back(), i->second, x);
    }
  }
  for (const auto& [id, x] : before)
    if (after.count(id) == 0) {
      out.emplace_back();
      out.back().kind = pb::StoreAction::REMOVE;
      set(out.back(), x, nullptr);
    }
}

} // namespace

change_set diff(const object_store& before, const object_store& after) {
  change_set out;
  out.index = after.applied_index();
  using pb_node = object_ptr<pb::Node>;
  using pb_service = object_ptr<pb::Service>;
  using pb_task = object_ptr<pb::Task>;
  diff_table(before.nodes(), after.nodes(), out.changes,
             [](change& c, pb_node b, pb_node a) {
               c.node_before = std::move(b);
               c.node_after = std::move(a);
             });
  diff_table(before.services(), after.services(), out.changes,
             [](change& c, pb_service b, pb_service a) {
               c.service_before = std::move(b);
               c.service_after = std::move(a);
             });
  diff_table(before.tasks(), after.tasks(), out.changes,
             [](change& c, pb_task b, pb_task a) {
               c.task_before = std::move(b);
               c.task_after = std::move(a);
             });
  diff_table(before.networks(), after.networks(), out.changes,
             [](change& c, object_ptr<pb::Network> b,
                object_ptr<pb::Network> a) {
               c.network_before = std::move(b);
               c.network_after = std::move(a);
             });
  auto bc = before.cluster();
  auto ac = after.cluster();
  if (ac && (!bc || bc->meta().version() != ac->meta().version())) {
    out.changes.emplace_back();
    out.changes.back().kind = bc ? pb::StoreAction::UPDATE
                                 : pb::StoreAction::CREATE;
    out.changes.back().cluster_before = bc;
    out.changes.back().cluster_after = ac;
  }
  return out;
}

pb::StoreSnapshot object_store::snapshot() const {
  pb::StoreSnapshot out;
  for (auto& [id, x] : nodes_)
    *out.add_nodes() = *x;
  for (auto& [id, x] : services_)
    *out.add_services() = *x;
  for (auto& [id, x] : tasks_)
    *out.add_tasks() = *x;
  for (auto& [id, x] : clusters_)
    *out.add_clusters() = *x;
  for (auto& [id, x] : networks_)
    *out.add_networks() = *x;
  out.set_applied_index(applied_index_);
  return out;
}

object_ptr<pb::Cluster> object_store::cluster() const {
  return clusters_.empty() ? nullptr : clusters_.begin()->second;
}

std::vector<object_ptr<pb::Task>>
object_store::tasks_of(const std::string& service_id) const {
  std::vector<object_ptr<pb::Task>> out;
  if (auto i = tasks_by_service_.find(service_id); i != tasks_by_service_.end())
    for (auto& [id, t] : i->second)
      out.push_back(t);
  return out;
}

object_ptr<pb::Service>
object_store::service_by_name(const std::string& name) const {
  auto i = service_names_.find(name);
  return i == service_names_.end() ? nullptr : find(services_, i->second);
}

std::optional<failure>
object_store::service_name_conflict(const pb::Service& svc) const {
  auto i = service_names_.find(svc.spec().name());
  if (i == service_names_.end() || i->second == svc.id())
    return std::nullopt;
  return fail(errc::name_conflict,
              docker_text::name_conflict("service", svc.spec().name()));
}

object_ptr<pb::Network>
object_store::network_by_name(const std::string& name) const {
  auto i = network_names_.find(name);
  return i == network_names_.end() ? nullptr : find(networks_, i->second);
}

std::optional<failure>
object_store::network_name_conflict(const pb::Network& net) const {
  auto i = network_names_.find(net.spec().name());
  if (i == network_names_.end() || i->second == net.id())
    return std::nullopt;
  return fail(errc::name_conflict,
              docker_text::name_conflict("network", net.spec().name()));
}

} // namespace actorswarm::store
