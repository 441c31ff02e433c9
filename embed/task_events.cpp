#include "embed/task_events.hpp"

#include <algorithm>
#include <tuple>

namespace actorswarm::embed {

namespace {

bool reportable_change(const pb::Task& before, const pb::Task& after) {
  return before.status().state() != after.status().state()
         || before.desired_state() != after.desired_state()
         || before.status().err() != after.status().err()
         || before.node_id() != after.node_id();
}

} // namespace

task_event make_task_event(const pb::Task& t, bool removed) {
  task_event ev;
  ev.task_id = t.id();
  ev.service_id = t.service_id();
  ev.name = t.service_name() + "."
            + (t.slot() != 0 ? std::to_string(t.slot()) : t.node_id());
  ev.node_id = t.node_id();
  ev.state = t.status().state();
  ev.desired_state = t.desired_state();
  ev.error = t.status().err();
  ev.removed = removed;
  return ev;
}

std::vector<task_event> initial_task_events(const store::object_store& view) {
  std::vector<task_event> out;
  out.reserve(view.tasks().size());
  for (auto& [id, t] : view.tasks())
    out.push_back(make_task_event(*t, false));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.task_id) < std::tie(b.name, b.task_id);
  });
  return out;
}

std::vector<task_event> task_events(const store::change_set& xs) {
  std::vector<task_event> out;
  for (auto& x : xs.changes) {
    if (x.task_after == nullptr && x.task_before != nullptr)
      out.push_back(make_task_event(*x.task_before, true));
    else if (x.task_after != nullptr
             && (x.task_before == nullptr
                 || reportable_change(*x.task_before, *x.task_after)))
      out.push_back(make_task_event(*x.task_after, false));
  }
  return out;
}

} // namespace actorswarm::embed
