#include "actors/control/node_rules.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

#include "actors/raft/conf_change.hpp"

namespace actorswarm::control {

std::string resolve_self(const std::string& ref, const std::string& self_id) {
  return ref == "self" && !self_id.empty() ? self_id : ref;
}

result<store::object_ptr<pb::Node>> find_node(const store::object_store& view,
                                              const std::string& ref) {
  return store::resolve(view.nodes(), ref, "node", [](const pb::Node& n) {
    return n.description().hostname();
  });
}

pb::ControlReply list_nodes(const store::object_store& view) {
  pb::ControlReply out;
  std::vector<const pb::Node*> xs;
  for (auto& [id, n] : view.nodes())
    xs.push_back(n.get());
  std::sort(xs.begin(), xs.end(), [](auto a, auto b) {
    return std::tie(a->description().hostname(), a->id())
           < std::tie(b->description().hostname(), b->id());
  });
  for (auto* n : xs)
    *out.add_nodes() = *n;
  return out;
}

result<pb::ControlReply> inspect_nodes(const store::object_store& view,
                                       const pb::NodeInspectRequest& req,
                                       const std::string& self_id) {
  pb::ControlReply out;
  for (auto& ref : req.refs()) {
    auto n = find_node(view, resolve_self(ref, self_id));
    if (!n)
      return n.error();
    *out.add_nodes() = **n;
  }
  return out;
}

void overlay_raft_status(pb::ControlReply& out, const raft::raft_status& st) {
  for (auto& n : *out.mutable_nodes()) {
    if (!n.has_manager_status())
      continue;
    auto& ms = *n.mutable_manager_status();
    auto id = ms.raft_id();
    if (!raft::is_voter(st.members, id)) {
      // Not in the Raft group (any more): a forced new cluster left it out.
      ms.set_leader(false);
      ms.set_reachability(pb::ManagerStatus::UNREACHABLE);
      continue;
    }
    ms.set_leader(id == st.lead);
    if (st.is_leader) {
      // The leader hears every manager: its live view.
      ms.set_reachability(st.reaches(id) ? pb::ManagerStatus::REACHABLE
                                         : pb::ManagerStatus::UNREACHABLE);
    } else if (id == st.raft_id || (st.lead != 0 && id == st.lead)) {
      ms.set_reachability(pb::ManagerStatus::REACHABLE);
    } else if (st.lead == 0) {
      // No leader: nobody this manager can vouch for.
      ms.set_reachability(pb::ManagerStatus::UNREACHABLE);
    }
    // Else a follower's view of another follower: the leader's, as stored.
  }
}

size_t reachable_managers(const store::object_store& view,
                          const raft::raft_status& st) {
  if (st.is_leader)
    return st.reachable.size();
  pb::ControlReply r = list_nodes(view);
  overlay_raft_status(r, st);
  size_t n = 0;
  for (const auto& node : r.nodes())
    n += node.has_manager_status()
         && node.manager_status().reachability()
              == pb::ManagerStatus::REACHABLE;
  return n;
}

status apply_node_update(pb::Node& n, const pb::NodeUpdateRequest& req) {
  auto& spec = *n.mutable_spec();
  if (req.set_availability())
    spec.set_availability(req.availability());
  for (auto& [k, v] : req.label_add()) {
    if (k.empty())
      return fail(errc::invalid_spec, "invalid label: empty key");
    (*spec.mutable_labels())[k] = v;
  }
  for (auto& k : req.label_rm()) {
    if (spec.labels().count(k) == 0)
      return fail(errc::invalid_spec,
                  "key " + k + " doesn't exist in node's labels");
    spec.mutable_labels()->erase(k);
  }
  return ok_status();
}

result<write_decision> update_node(const store::object_store& view,
                                   const pb::NodeUpdateRequest& req,
                                   const std::string& self_id, int64_t now_ns) {
  auto found = find_node(view, resolve_self(req.ref(), self_id));
  if (!found)
    return found.error();
  auto n = **found;
  if (auto ok = apply_node_update(n, req); !ok)
    return ok.error();
  write_decision out;
  out.batch = single_action(pb::StoreAction::UPDATE, now_ns);
  *out.batch.mutable_actions(0)->mutable_node() = n;
  out.ok.add_ids(n.id());
  return out;
}

} // namespace actorswarm::control
