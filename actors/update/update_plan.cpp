#include "actors/update/update_plan.hpp"

#include <algorithm>
#include <map>

#include <google/protobuf/util/message_differencer.h>

#include "actors/orchestrator/task_model.hpp"
#include "actors/scheduler/constraint.hpp"

namespace actorswarm::update {

namespace {

using google::protobuf::util::MessageDifferencer;

// Unset and default count as equal; maps compare as maps.
bool same(const google::protobuf::Message& x,
          const google::protobuf::Message& y) {
  return MessageDifferencer::Equivalent(x, y);
}

// SwarmKit nodeMatches: the node still satisfies the service's constraints.
bool node_matches(const pb::Service& s, const pb::Task& t,
                  const outdated_context& ctx) {
  const auto* n = t.node_id().empty() ? nullptr : ctx.node(t.node_id());
  if (n == nullptr)
    return false;
  auto& pl = s.spec().task().placement();
  std::vector<std::string> xs(pl.constraints().begin(), pl.constraints().end());
  auto cs = scheduler::parse_constraints(xs);
  return cs && scheduler::matches(*cs, *n);
}

bool task_spec_outdated(const pb::Service& s, const pb::Task& t,
                        const outdated_context& ctx) {
  const auto& want = s.spec().task();
  if (same(want, t.spec()))
    return false;
  // SwarmKit IsTaskDirtyPlacementConstraintsOnly: placement alone changed,
  // and the node the task runs on still fits.
  auto other = want;
  *other.mutable_placement() = t.spec().placement();
  return !same(other, t.spec()) || !node_matches(s, t, ctx);
}

// The task's attachments (minus ingress, which the endpoint decides) must
// be the spec's networks with their aliases.
bool networks_outdated(const pb::Service& s, const pb::Task& t,
                       const outdated_context& ctx) {
  std::map<std::string, std::vector<std::string>> want, have;
  for (auto& n : s.spec().networks()) {
    auto& xs = want[n.target()];
    xs.assign(n.aliases().begin(), n.aliases().end());
    std::sort(xs.begin(), xs.end());
  }
  for (auto& n : t.networks()) {
    if (!ctx.ingress_network_id.empty()
        && n.network_id() == ctx.ingress_network_id
        && want.count(n.network_id()) == 0)
      continue;
    auto& xs = have[n.network_id()];
    xs.assign(n.aliases().begin(), n.aliases().end());
    std::sort(xs.begin(), xs.end());
  }
  return want != have;
}

} // namespace

bool outdated(const pb::Service& s, const pb::Task& t,
              const outdated_context& ctx) {
  // SwarmKit: the same spec_version means the same spec; another one may
  // still mean the same task spec (a scale, a label).
  if (t.spec_version() == s.spec_version())
    return false;
  if (task_spec_outdated(s, t, ctx))
    return true;
  // Before allocation (PENDING) the allocator gives the task the service's
  // current endpoint and networks: nothing can be outdated there yet.
  if (t.status().state() < pb::PENDING)
    return false;
  pb::EndpointSpec none;
  const auto& had = t.has_endpoint() ? t.endpoint().spec() : none;
  if (!same(s.spec().endpoint(), had))
    return true;
  return networks_outdated(s, t, ctx);
}

bool spec_changes_tasks(const pb::ServiceSpec& before,
                        const pb::ServiceSpec& after) {
  if (!same(before.task(), after.task())
      || !same(before.endpoint(), after.endpoint())
      || before.networks_size() != after.networks_size())
    return true;
  for (int i = 0; i < before.networks_size(); ++i)
    if (!same(before.networks(i), after.networks(i)))
      return true;
  return false;
}

bool is_up(const pb::Task& t) {
  if (t.status().state() != pb::RUNNING)
    return false;
  switch (t.status().health()) {
    case pb::TaskStatus::HEALTHY:
      return true;
    case pb::TaskStatus::NONE: {
      auto& hc = t.spec().container().healthcheck();
      return hc.test().empty() || hc.test(0) == "NONE";
    }
    default:
      return false;
  }
}

slot_key key_of(const pb::Task& t) {
  slot_key k;
  k.slot = t.slot();
  // Global tasks (slot 0) are one per node: the node names the slot.
  if (t.slot() == 0)
    k.node_id = t.node_id();
  return k;
}

bool slot_view::in_flight() const {
  if (fresh.empty())
    return false;
  if (!old.empty())
    return true;
  return std::any_of(fresh.begin(), fresh.end(), [](const pb::Task* t) {
    return t->desired_state() < pb::RUNNING;
  });
}

bool slot_view::fresh_up() const {
  return std::any_of(fresh.begin(), fresh.end(),
                     [](const pb::Task* t) { return is_up(*t); });
}

std::vector<slot_view> slots_of(const pb::Service& s,
                                const std::vector<pb::Task>& tasks,
                                const outdated_fn& is_outdated) {
  bool global = s.spec().mode() == pb::ServiceSpec::GLOBAL;
  std::map<slot_key, slot_view> by_key;
  for (const auto& t : tasks) {
    if (orchestrator::is_terminal(t.status().state()))
      continue;
    if (!global && (t.slot() == 0 || t.slot() > s.spec().replicas()))
      continue; // scaled down: the orchestrator's
    auto& v = by_key[key_of(t)];
    v.key = key_of(t);
    if (!orchestrator::is_desired_running(t))
      v.stopping.push_back(&t);
    else if (is_outdated(t))
      v.old.push_back(&t);
    else
      v.fresh.push_back(&t);
  }
  std::vector<slot_view> out;
  out.reserve(by_key.size());
  auto newest = [](const pb::Task* x, const pb::Task* y) {
    return orchestrator::newer_than(*x, *y);
  };
  for (auto& [k, v] : by_key) {
    std::sort(v.fresh.begin(), v.fresh.end(), newest);
    std::sort(v.old.begin(), v.old.end(), newest);
    std::sort(v.stopping.begin(), v.stopping.end(), newest);
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<const slot_view*> next_batch(const std::vector<slot_view>& slots,
                                         const std::set<slot_key>& attempted,
                                         uint64_t parallelism) {
  std::vector<const slot_view*> out;
  for (const auto& v : slots) {
    if (parallelism != 0 && out.size() >= parallelism)
      break;
    if (v.dirty() && attempted.count(v.key) == 0)
      out.push_back(&v);
  }
  return out;
}

bool is_failure(const pb::Task& t) {
  switch (t.status().state()) {
    case pb::COMPLETE:
    case pb::FAILED:
    case pb::REJECTED:
      return true;
    case pb::SHUTDOWN:
      return t.desired_state() <= pb::RUNNING;
    default:
      return false;
  }
}

bool ratio_exceeded(uint64_t failures, uint64_t total, float max_ratio) {
  if (total == 0)
    return false;
  return static_cast<float>(failures) / static_cast<float>(total) > max_ratio;
}

bool must_wait_for(const pb::Task& t, const outdated_context& ctx) {
  auto st = t.status().state();
  if (st < pb::ASSIGNED || orchestrator::is_terminal(st))
    return false;
  // SwarmKit's DelayStart: stop waiting when the old task's node is down or
  // gone; it will never report.
  const auto* n = ctx.node(t.node_id());
  return n != nullptr && n->status().state() != pb::NodeStatus::DOWN;
}

} // namespace actorswarm::update
