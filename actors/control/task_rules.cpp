#include "actors/control/task_rules.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <vector>

#include "actors/control/node_rules.hpp"
#include "actors/control/service_rules.hpp"

namespace actorswarm::control {

namespace {

// The tasks of the services `refs` name (every task when empty).
result<std::vector<store::object_ptr<pb::Task>>>
tasks_of_services(const store::object_store& view,
                  const google::protobuf::RepeatedPtrField<std::string>& refs) {
  std::vector<store::object_ptr<pb::Task>> xs;
  if (refs.empty()) {
    for (auto& [id, t] : view.tasks())
      xs.push_back(t);
    return xs;
  }
  for (auto& ref : refs) {
    auto svc = find_service(view, ref);
    if (!svc)
      return svc.error();
    auto ts = view.tasks_of((*svc)->id());
    xs.insert(xs.end(), ts.begin(), ts.end());
  }
  return xs;
}

void add_node_name(const store::object_store& view, const pb::Task& t,
                   pb::ControlReply& out) {
  if (auto n = view.nodes().find(t.node_id()); n != view.nodes().end())
    (*out.mutable_node_names())[t.node_id()]
      = n->second->description().hostname();
}

} // namespace

std::string task_name(const pb::Task& t) {
  if (t.slot() > 0)
    return t.service_name() + "." + std::to_string(t.slot());
  return t.service_name() + "." + t.node_id();
}

bool counts_running(const pb::Task& t) {
  return t.status().state() == pb::RUNNING && t.desired_state() <= pb::RUNNING;
}

result<store::object_ptr<pb::Task>> find_task(const store::object_store& view,
                                              const std::string& ref) {
  return store::resolve(view.tasks(), ref, "task",
                        [](const pb::Task& t) { return task_name(t); });
}

result<pb::ControlReply> list_tasks(const store::object_store& view,
                                    const pb::TaskListRequest& req) {
  pb::ControlReply out;
  auto xs = tasks_of_services(view, req.service_refs());
  if (!xs)
    return xs.error();
  std::string node_id;
  if (!req.node_ref().empty()) {
    auto n = find_node(view, req.node_ref());
    if (!n)
      return n.error();
    node_id = (*n)->id();
  }
  auto wanted = [&](const pb::Task& t) {
    if (!node_id.empty() && t.node_id() != node_id)
      return false;
    if (req.desired_states().empty())
      return true;
    return std::any_of(req.desired_states().begin(), req.desired_states().end(),
                       [&](int s) { return t.desired_state() == s; });
  };
  std::sort(xs->begin(), xs->end(), [](auto& a, auto& b) {
    return std::make_tuple(a->service_name(), a->slot(), a->node_id(),
                           -a->meta().created_at_ns(), a->id())
           < std::make_tuple(b->service_name(), b->slot(), b->node_id(),
                             -b->meta().created_at_ns(), b->id());
  });
  for (auto& t : *xs) {
    if (!wanted(*t))
      continue;
    *out.add_tasks() = *t;
    add_node_name(view, *t, out);
  }
  return out;
}

result<pb::ControlReply> logs_tasks(const store::object_store& view,
                                    const pb::LogsRequest& req) {
  pb::ControlReply out;
  auto s = find_service(view, req.ref());
  if (s) {
    for (auto& t : view.tasks_of((*s)->id()))
      *out.add_tasks() = *t;
    // The service, for the width of docker's slot padding.
    auto& e = *out.add_services();
    *e.mutable_service() = **s;
    if ((*s)->spec().mode() == pb::ServiceSpec::REPLICATED)
      e.set_desired((*s)->spec().replicas());
  } else if (auto t = find_task(view, req.ref())) {
    *out.add_tasks() = **t;
  } else {
    return s.error();
  }
  // The tasks' nodes: their names for the prefixes, their addresses for
  // the log broker.
  std::set<std::string> nodes;
  for (auto& t : out.tasks()) {
    add_node_name(view, t, out);
    auto n = view.nodes().find(t.node_id());
    if (n != view.nodes().end() && nodes.insert(t.node_id()).second)
      *out.add_nodes() = *n->second;
  }
  return out;
}

} // namespace actorswarm::control
