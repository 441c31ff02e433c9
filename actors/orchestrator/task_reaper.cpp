#include "actors/orchestrator/task_reaper.hpp"

#include <algorithm>
#include <map>

#include "actors/orchestrator/restart.hpp"

namespace actorswarm::orchestrator {

bool is_finished(const pb::Task& x) {
  auto st = x.status().state();
  return is_terminal(st) || st < pb::ASSIGNED;
}

reconcile_result reap_tasks(const pb::Service* service,
                            const std::vector<pb::Task>& tasks,
                            uint64_t task_history_limit) {
  reconcile_result out;
  std::map<restart_key, std::vector<const pb::Task*>> history;
  for (const auto& t : tasks) {
    if (!is_finished(t))
      continue;
    if (service == nullptr || t.desired_state() >= pb::REMOVE) {
      out.actions.emplace_back(remove_action(t));
      continue;
    }
    if (!is_desired_running(t))
      history[key_of(t)].emplace_back(&t);
  }
  for (auto& [key, xs] : history) {
    if (xs.size() <= task_history_limit)
      continue;
    std::sort(xs.begin(), xs.end(), [](const pb::Task* x, const pb::Task* y) {
      return newer_than(*x, *y);
    });
    // Oldest first, so the action order reads like the history.
    for (auto i = xs.size(); i > task_history_limit; --i)
      out.actions.emplace_back(remove_action(*xs[i - 1]));
  }
  return out;
}

} // namespace actorswarm::orchestrator
