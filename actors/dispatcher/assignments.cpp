#include "actors/dispatcher/assignments.hpp"

#include "actors/task/task_state_machine.hpp"

namespace actorswarm::dispatcher {

bool is_assigned(const pb::Task& t) {
  return !t.node_id().empty() && t.status().state() >= pb::ASSIGNED
         && !task::is_terminal(t.status().state());
}

pb::Assignments full_assignments(const store::object_store& view,
                                 const std::string& node_id) {
  pb::Assignments out;
  out.set_full(true);
  for (auto& [id, t] : view.tasks()) {
    if (t->node_id() != node_id)
      continue;
    if (is_assigned(*t))
      *out.add_update() = *t;
    else
      out.add_kept(t->id());
  }
  return out;
}

std::unordered_map<std::string, pb::Assignments>
changed_assignments(const store::change_set& cs) {
  std::unordered_map<std::string, pb::Assignments> out;
  for (auto& c : cs.changes) {
    if (c.task_after && !c.task_after->node_id().empty()) {
      auto& t = *c.task_after;
      if (is_assigned(t))
        *out[t.node_id()].add_update() = t;
      else if (task::is_terminal(t.status().state()))
        out[t.node_id()].add_remove(t.id());
    } else if (!c.task_after && c.task_before
               && !c.task_before->node_id().empty()) {
      auto& a = out[c.task_before->node_id()];
      a.add_remove(c.task_before->id());
      a.add_deleted(c.task_before->id());
    }
  }
  return out;
}

std::vector<pb::StoreAction>
status_actions(const store::object_store& view,
               const std::vector<pb::TaskStatusUpdate>& xs) {
  std::vector<pb::StoreAction> out;
  for (auto& x : xs) {
    auto i = view.tasks().find(x.task_id());
    if (i == view.tasks().end())
      continue;
    if (!task::can_transition(i->second->status().state(), x.status().state()))
      continue; // SwarmKit: tasks never move backwards; drop old reports
    pb::StoreAction a;
    a.set_kind(pb::StoreAction::UPDATE);
    a.set_status_only(true);
    a.mutable_task()->set_id(x.task_id());
    *a.mutable_task()->mutable_status() = x.status();
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<pb::TaskStatusUpdate> own_updates(const store::object_store& view,
                                              const pb::StatusBatch& b) {
  std::vector<pb::TaskStatusUpdate> out;
  for (const auto& u : b.updates()) {
    auto i = view.tasks().find(u.task_id());
    if (i != view.tasks().end() && i->second->node_id() == b.node_id())
      out.push_back(u);
  }
  return out;
}

bool session_moved(const pb::Node& node, const std::string& session_id) {
  const auto& stored = node.status().session_id();
  return !stored.empty() && stored != session_id;
}

pb::StoreAction node_status_action(const pb::Node& node,
                                   pb::NodeStatus::State state,
                                   const std::string& message) {
  pb::StoreAction a;
  a.set_kind(pb::StoreAction::UPDATE);
  a.set_status_only(true);
  auto& n = *a.mutable_node();
  n.set_id(node.id());
  *n.mutable_description() = node.description();
  *n.mutable_status() = node.status();
  n.mutable_status()->set_state(state);
  n.mutable_status()->set_message(message);
  return a;
}

} // namespace actorswarm::dispatcher
