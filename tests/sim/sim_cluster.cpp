#include "sim/sim_cluster.hpp"

#include "messages/assert.hpp"
#include "messages/ids_seed.hpp"
#include "sim/simulation.hpp"

// The run loop: one event-driven loop over CAF's test coordinator that
// jumps to the next due timer, network delivery or scripted event (faults,
// restarts, joins, client operations). The parts of the simulation live in
// sim_nodes.cpp, sim_workload.cpp, sim_force_new.cpp, sim_checks.cpp,
// sim_network.cpp and sim_schedule.cpp (simulation.hpp names them).

namespace actorswarm::sim::detail {

simulation::simulation(const sim_options& opts,
                       const std::vector<fault_event>& sched)
  : opts_(opts),
    schedule_(sched),
    net_(test::mix64(opts.seed ^ 0x6e6574)),
    work_rng_(test::mix64(opts.seed ^ 0x776f726b)) {
  if (opts_.force_new_cluster)
    opts_.orchestration = false;
  std::mt19937_64 r(test::mix64(opts.seed ^ 0x6e6f6465));
  for (uint64_t i = 1; i <= opts.managers; ++i) {
    nodes_.push_back(std::make_unique<sim_node>(i, r()));
    auto& n = *nodes_.back();
    // Clock drift: each node's tick is its own length (90..110 ms for
    // the daemon's 100).
    n.tick_ms = 90 + r() % 21;
    n.bootstrap = i == 1;
    n.faults.crash_after_publish = opts.crash_in_snapshot_install;
    n.faults.snapshot_write_error = opts.disk_faults ? 0.02 : 0;
    n.log.set_observer([this, i](const persistence::log_write& w,
                                 std::optional<uint64_t> t) {
      on_save(i, w, t);
    });
  }
  if (opts.network_faults) {
    net_.opts.drop = static_cast<double>(r() % 10) / 100;     // 0..9 %
    net_.opts.duplicate = static_cast<double>(r() % 5) / 100; // 0..4 %
    net_.opts.max_delay = 1 + r() % 60;
    net_.opts.long_delay = static_cast<double>(r() % 3) / 100; // 0..2 %
  } else {
    net_.faults = false;
  }
}

// -- running -----------------------------------------------------------------

// Runs every queued message, checking the disks after each: a disk that
// froze (armed crash, fsync error) crashes its node at once.
void simulation::run_messages() {
  while (fx_.sched.try_run_once()) {
    ++result_.messages;
    for (auto& n : nodes_)
      if (n->up && n->faults.frozen)
        crash(*n, n->faults.why);
    if (result_.messages > message_budget_) {
      violation("livelock: more than " + std::to_string(message_budget_)
                + " messages");
      return;
    }
  }
}

void simulation::deliver_due() {
  while (auto p = net_.pop_due(now_)) {
    auto& n = node(p->to);
    if (!n.up)
      continue; // nobody listens
    switch (p->what) {
      case packet::kind::raft:
        caf::anon_send(n.transport, raft_msg_atom::value, std::move(p->msg));
        break;
      case packet::kind::request:
        caf::anon_send(n.transport, rpc_atom::value, p->from, p->call,
                       p->incarnation, p->rpc, std::move(p->payload));
        break;
      case packet::kind::reply:
        if (p->incarnation != n.incarnation)
          continue;
        caf::anon_send(n.transport, cluster_call_atom::value, p->call, p->ok,
                       std::move(p->payload));
        break;
    }
  }
}

// Moves time to `t`: CAF's timers due by then fire.
void simulation::advance_to(sim_time t) {
  if (t <= now_)
    return;
  auto d = std::chrono::milliseconds(t - now_);
  fx_.advance_time(d);
  now_ = t;
}

std::optional<sim_time> simulation::next_timer() {
  const auto& sch = fx_.sched.clock().schedule();
  if (sch.empty())
    return std::nullopt;
  auto d = sch.begin()->first - fx_.sched.clock().current_time;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (std::chrono::milliseconds(ms) < d)
    ++ms;
  return now_ + static_cast<sim_time>(std::max<int64_t>(ms, 0));
}

void simulation::run_until(sim_time end) {
  while (result_.violation.empty()) {
    deliver_due();
    run_messages();
    run_scripted();
    run_messages();
    if (!result_.violation.empty())
      return;
    sim_time next = end;
    if (auto t = net_.next_due())
      next = std::min(next, *t);
    if (auto t = next_timer())
      next = std::min(next, *t);
    if (auto t = next_scripted())
      next = std::min(next, *t);
    if (next <= now_)
      next = now_ + 1;
    if (now_ >= end)
      return;
    advance_to(std::min(next, end));
  }
}
// -- script: faults, restarts, client operations -------------------------

std::optional<sim_time> simulation::next_scripted() const {
  std::optional<sim_time> out;
  auto take = [&](sim_time t) {
    if (t > now_ && (!out || t < *out))
      out = t;
  };
  if (next_fault_ < schedule_.size())
    take(schedule_[next_fault_].at);
  if (next_op_ < workload_.size())
    take(workload_[next_op_].at);
  for (const auto& p : retries_)
    take(p.at);
  for (auto t : pending_restarts_)
    take(t);
  for (auto& j : joins_)
    take(j.second);
  if (opts_.orchestration && registered_.size() < nodes_.size())
    take(next_registration_);
  return out;
}

void simulation::run_scripted() {
  while (next_fault_ < schedule_.size() && schedule_[next_fault_].at <= now_)
    apply_fault(schedule_[next_fault_++]);
  for (size_t i = 0; i < pending_restarts_.size();) {
    if (pending_restarts_[i] <= now_) {
      auto id = pending_restart_nodes_[i];
      pending_restarts_.erase(pending_restarts_.begin() + i);
      pending_restart_nodes_.erase(pending_restart_nodes_.begin() + i);
      restart(node(id));
    } else {
      ++i;
    }
  }
  for (auto i = joins_.begin(); i != joins_.end();)
    if (node(i->first).removed)
      i = joins_.erase(i);
    else
      ++i;
  for (auto& [id, t] : joins_)
    if (t <= now_) {
      t = now_ + 2000; // again until it is a member
      join(id);
    }
  if (opts_.orchestration && registered_.size() < nodes_.size()
      && next_registration_ <= now_) {
    next_registration_ = now_ + 2000; // again until stored
    register_nodes();
  }
  while (next_op_ < workload_.size() && workload_[next_op_].at <= now_)
    issue(workload_[next_op_++]);
  for (size_t i = 0; i < retries_.size();) {
    if (retries_[i].at <= now_) {
      auto p = retries_[i];
      retries_.erase(retries_.begin() + i);
      issue(p);
    } else {
      ++i;
    }
  }
}

void simulation::apply_fault(const fault_event& f) {
  if (!opts_.disk_faults
      && (f.what == fault_event::kind::arm_crash
          || f.what == fault_event::kind::fsync_error
          || f.what == fault_event::kind::corrupt_read))
    return;
  if (!opts_.network_faults
      && (f.what == fault_event::kind::partition
          || f.what == fault_event::kind::one_way))
    return;
  trace("fault: " + to_string(f));
  if (f.node > nodes_.size() || f.arg > nodes_.size() + 1000)
    return;
  auto* n = f.node ? &node(f.node) : nullptr;
  switch (f.what) {
    case fault_event::kind::crash:
      crash(*n, "sim: crash (scheduled)");
      break;
    case fault_event::kind::arm_crash:
      if (n->up)
        n->faults.arm(f.arg, f.mode ? crash_mode::after : crash_mode::before);
      break;
    case fault_event::kind::fsync_error:
      if (n->up)
        n->faults.arm(f.arg, crash_mode::fsync_error);
      break;
    case fault_event::kind::corrupt_read:
      if (n->up)
        n->faults.corrupt_read = 1.0;
      break;
    case fault_event::kind::restart:
      restart(*n);
      break;
    case fault_event::kind::partition:
      net_.partition(f.side, nodes_.size());
      break;
    case fault_event::kind::one_way:
      net_.one_way(f.node, f.arg);
      break;
    case fault_event::kind::heal:
      net_.heal();
      break;
    case fault_event::kind::force_new:
      force_new_cluster(*n);
      break;
    case fault_event::kind::quiet:
      net_.heal();
      for (auto& m : nodes_) {
        m->faults.crash_at = 0;
        m->faults.corrupt_read = 0;
        restart(*m);
      }
      break;
  }
}

sim_result simulation::run() {
  auto previous = on_fatal;
  on_fatal = throw_fatal;
  last_fatal.clear();
  // The daemon's random ids (orchestrator, dispatcher sessions) from the
  // seed, so a seed replays exactly.
  reseed_ids(test::mix64(opts_.seed ^ 0x696473));
  plan_workload();
  for (auto& n : nodes_)
    start(*n);
  for (uint64_t i = 2; i <= nodes_.size(); ++i)
    joins_[i] = 200 + 100 * i;
  run_until(opts_.fault_ms);
  // Heal: network whole, every node up, no more disk faults.
  trace("heal: network whole, all nodes up, no faults");
  healed_at_ = now_;
  net_.heal();
  net_.faults = false;
  for (auto& n : nodes_) {
    n->faults.crash_at = 0;
    n->faults.corrupt_read = 0;
    n->faults.snapshot_write_error = 0;
    restart(*n);
  }
  run_until(opts_.fault_ms + opts_.heal_ms);
  if (result_.violation.empty())
    check_end();
  for (auto& n : nodes_)
    if (n->up)
      crash(*n, "end of run");
  for (auto& h : helpers_)
    caf::anon_send_exit(h, caf::exit_reason::kill);
  helpers_.clear();
  run_messages();
  on_fatal = previous;
  for (const auto& o : history_) {
    ++result_.ops;
    if (o.result == outcome::unknown)
      ++result_.unknown;
    else
      ++result_.acknowledged;
  }
  result_.trace.assign(trace_.begin(), trace_.end());
  result_.digest = digest_;
  return result_;
}

} // namespace actorswarm::sim::detail

namespace actorswarm::sim {

sim_result run_simulation(const sim_options& opts,
                          const std::vector<fault_event>& schedule) {
  detail::simulation sim(opts, schedule);
  return sim.run();
}

} // namespace actorswarm::sim
