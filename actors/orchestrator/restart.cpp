#include "actors/orchestrator/restart.hpp"

#include <limits>

#include "actors/orchestrator/task_model.hpp"
#include "messages/assert.hpp"

namespace actorswarm::orchestrator {

restart_key key_of(const pb::Task& x) {
  restart_key k;
  k.service_id = x.service_id();
  k.slot = x.slot();
  // Global tasks (slot 0) are one per node, so the node names the instance.
  if (x.slot() == 0)
    k.node_id = x.node_id();
  return k;
}

uint64_t counted_restarts(const pb::Task& x, const restart_history* h,
                          int64_t now_ns) {
  if (h == nullptr || h->spec_version != x.spec_version())
    return 0;
  auto window_ns = x.spec().restart().window_ns();
  if (window_ns <= 0)
    return h->restarts_ns.size();
  uint64_t n = 0;
  for (auto t_ns : h->restarts_ns)
    if (t_ns > now_ns - window_ns)
      ++n;
  return n;
}

namespace {

restart_decision never(std::string reason, bool exhausted = false) {
  restart_decision d;
  d.verdict = restart_verdict::never;
  d.attempts_exhausted = exhausted;
  d.reason = std::move(reason);
  return d;
}

} // namespace

restart_decision decide_restart(const pb::Task& x, const restart_history* h,
                                int64_t now_ns) {
  AS_ASSERT(is_terminal(x.status().state()));
  const auto& policy = x.spec().restart();
  switch (policy.condition()) {
    case pb::RestartPolicy::NONE:
      return never("restart condition none");
    case pb::RestartPolicy::ON_FAILURE:
      if (x.status().state() == pb::COMPLETE && x.status().exit_code() == 0)
        return never("completed successfully, restart condition on-failure");
      break;
    default:
      break;
  }
  if (policy.max_attempts() > 0) {
    // Sticky: once given up for this task, later pruning must not revive it.
    if (h != nullptr && h->spec_version == x.spec_version()
        && h->gave_up_task_id == x.id())
      return never("restart attempts exhausted", true);
    if (counted_restarts(x, h, now_ns) >= policy.max_attempts())
      return never("restart attempts exhausted", true);
  }
  restart_decision d;
  auto delay_ns = policy.delay_ns() > 0 ? policy.delay_ns() : 0;
  auto ts_ns = x.status().timestamp_ns();
  // Saturate: an absurd delay must not wrap around into "restart now".
  auto at_ns = delay_ns > std::numeric_limits<int64_t>::max() - ts_ns
                 ? std::numeric_limits<int64_t>::max()
                 : ts_ns + delay_ns;
  if (now_ns < at_ns) {
    d.verdict = restart_verdict::later;
    d.at_ns = at_ns;
    d.reason = "waiting for restart delay";
    return d;
  }
  d.verdict = restart_verdict::now;
  d.at_ns = now_ns;
  d.reason = "restarting";
  return d;
}

const restart_history* restart_tracker::find(const restart_key& k) const {
  auto i = by_key_.find(k);
  return i == by_key_.end() ? nullptr : &i->second;
}

restart_decision restart_tracker::decide(const pb::Task& x, int64_t now_ns) {
  auto i = by_key_.find(key_of(x));
  restart_history* h = i == by_key_.end() ? nullptr : &i->second;
  auto window_ns = x.spec().restart().window_ns();
  if (h != nullptr && window_ns > 0) {
    // Bounded by the deque's size: each pass removes one element.
    while (!h->restarts_ns.empty()
           && h->restarts_ns.front() <= now_ns - window_ns)
      h->restarts_ns.pop_front();
  }
  auto d = decide_restart(x, h, now_ns);
  if (d.attempts_exhausted) {
    auto& hh = by_key_[key_of(x)];
    if (hh.spec_version != x.spec_version()) {
      hh = restart_history{};
      hh.spec_version = x.spec_version();
    }
    hh.gave_up_task_id = x.id();
  }
  return d;
}

void restart_tracker::record_restart(const pb::Task& x, int64_t now_ns) {
  auto& h = by_key_[key_of(x)];
  if (h.spec_version != x.spec_version()) {
    // SwarmKit: a new spec starts a new count.
    h = restart_history{};
    h.spec_version = x.spec_version();
  }
  h.gave_up_task_id.clear();
  h.restarts_ns.push_back(now_ns);
  // Without a window only the count matters; keep the deque bounded by the
  // policy's attempts so a crash-looping task cannot grow it forever.
  auto max_attempts = x.spec().restart().max_attempts();
  auto window_ns = x.spec().restart().window_ns();
  if (window_ns <= 0 && max_attempts > 0)
    while (h.restarts_ns.size() > max_attempts)
      h.restarts_ns.pop_front();
  if (max_attempts == 0)
    while (h.restarts_ns.size() > 1)
      h.restarts_ns.pop_front();
}

void restart_tracker::forget_service(const std::string& service_id) {
  auto i = by_key_.lower_bound(restart_key{service_id, 0, {}});
  while (i != by_key_.end() && i->first.service_id == service_id)
    i = by_key_.erase(i);
}

} // namespace actorswarm::orchestrator
