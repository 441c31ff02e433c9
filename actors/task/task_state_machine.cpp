#include "actors/task/task_state_machine.hpp"

#include "messages/assert.hpp"

namespace actorswarm::task {

namespace {

using pb::TaskState;

bool is_pause_state(TaskState x) {
  switch (x) {
    case pb::NEW:
    case pb::PENDING:
    case pb::ASSIGNED:
    case pb::ACCEPTED:
    case pb::READY:
      return true;
    default:
      return false;
  }
}

// The state a pause state moves to when the desired state is further on.
TaskState after_pause(TaskState x) {
  switch (x) {
    case pb::NEW:
    case pb::PENDING:
    case pb::ASSIGNED:
      return pb::ACCEPTED;
    case pb::ACCEPTED:
      return pb::PREPARING;
    case pb::READY:
      return pb::STARTING;
    default:
      AS_ASSERT(false && "not a pause state");
      return x;
  }
}

const char* pause_message(TaskState next) {
  switch (next) {
    case pb::ACCEPTED:
      return "accepted";
    case pb::PREPARING:
      return "preparing";
    default:
      return "starting";
  }
}

step_result unchanged(const pb::TaskStatus& current) {
  return step_result{current, false};
}

step_result move(const pb::TaskStatus& current, TaskState to,
                 const char* message, std::string err, int64_t now_ns) {
  // SwarmKit: tasks never move backwards.
  AS_ASSERT(can_transition(current.state(), to));
  step_result r{current, true};
  r.status.set_state(to);
  r.status.set_message(message);
  r.status.set_err(std::move(err));
  r.status.set_timestamp_ns(now_ns);
  return r;
}

// A failed executor call: a temporary error keeps the state (SwarmKit's
// Temporary); otherwise REJECTED before STARTING, FAILED from STARTING on
// (SwarmKit agent/exec/controller.go, fatal()).
step_result fatal(const pb::TaskStatus& current, const observation& obs,
                  int64_t now_ns) {
  if (obs.temporary)
    return unchanged(current);
  auto to = current.state() < pb::STARTING ? pb::REJECTED : pb::FAILED;
  return move(current, to, to == pb::REJECTED ? "rejected" : "failed", obs.err,
              now_ns);
}

step_result exited(const pb::TaskStatus& current, const observation& obs,
                   int64_t now_ns) {
  if (obs.exit.succeeded() && obs.err.empty()) {
    auto r = move(current, pb::COMPLETE, "finished", "", now_ns);
    r.status.set_exit_code(0);
    return r;
  }
  auto err = obs.err.empty() ? exit_error(obs.exit) : obs.err;
  auto r = move(current, pb::FAILED, "failed", std::move(err), now_ns);
  r.status.set_exit_code(obs.exit.known ? obs.exit.exit_code : -1);
  return r;
}

step_result shutdown_step(const pb::TaskStatus& current, action act,
                          const observation& obs, int64_t now_ns) {
  if (act == action::none)
    return move(current, pb::SHUTDOWN, "shutdown", "", now_ns);
  switch (obs.what) {
    case observation::kind::pending:
      return unchanged(current);
    case observation::kind::error:
      return fatal(current, obs, now_ns);
    case observation::kind::exited: {
      auto r = move(current, pb::SHUTDOWN, "shutdown", "", now_ns);
      r.status.set_exit_code(obs.exit.known ? obs.exit.exit_code : -1);
      return r;
    }
    default:
      return move(current, pb::SHUTDOWN, "shutdown", "", now_ns);
  }
}

step_result started(const pb::TaskStatus& current, const observation& obs,
                    int64_t now_ns) {
  switch (obs.what) {
    case observation::kind::done: {
      auto r = move(current, pb::RUNNING, "started", "", now_ns);
      r.status.set_pid(obs.pid);
      r.status.set_started_at_ns(obs.started_at_ns);
      return r;
    }
    case observation::kind::exited:
      // The process exited before RUNNING was recorded: report the outcome.
      return exited(current, obs, now_ns);
    case observation::kind::error:
      return fatal(current, obs, now_ns);
    default:
      return unchanged(current);
  }
}

} // namespace

bool is_valid_state(pb::TaskState x) {
  return pb::TaskState_IsValid(static_cast<int>(x));
}

bool can_transition(pb::TaskState from, pb::TaskState to) {
  return is_valid_state(from) && is_valid_state(to) && to > from;
}

bool may_set(writer who, pb::TaskState x) {
  if (!is_valid_state(x))
    return false;
  bool agent_state = x >= pb::ACCEPTED && x <= pb::REJECTED;
  return who == writer::agent ? agent_state : !agent_state;
}

bool is_terminal(pb::TaskState x) {
  return x >= pb::COMPLETE;
}

bool may_have_process(pb::TaskState x) {
  return x == pb::STARTING || x == pb::RUNNING;
}

const char* state_name(pb::TaskState x) {
  switch (x) {
    case pb::NEW:
      return "new";
    case pb::PENDING:
      return "pending";
    case pb::ASSIGNED:
      return "assigned";
    case pb::ACCEPTED:
      return "accepted";
    case pb::PREPARING:
      return "preparing";
    case pb::READY:
      return "ready";
    case pb::STARTING:
      return "starting";
    case pb::RUNNING:
      return "running";
    case pb::COMPLETE:
      return "complete";
    case pb::SHUTDOWN:
      return "shutdown";
    case pb::FAILED:
      return "failed";
    case pb::REJECTED:
      return "rejected";
    case pb::REMOVE:
      return "remove";
    case pb::ORPHANED:
      return "orphaned";
    default:
      return "unknown";
  }
}

std::string exit_error(const process_exit& x) {
  if (!x.known)
    return exit_unknown_text;
  return "task: non-zero exit (" + std::to_string(x.exit_code) + ")";
}

action next_action(pb::TaskState desired, pb::TaskState current) {
  if (is_terminal(current))
    return action::none;
  if (desired >= pb::SHUTDOWN) {
    // Only a started process needs stopping; before RUNNING none exists.
    return current == pb::RUNNING ? action::shutdown : action::none;
  }
  switch (current) {
    case pb::PREPARING:
      return action::prepare;
    case pb::STARTING:
      return action::start;
    case pb::RUNNING:
      return action::wait;
    default:
      return action::none;
  }
}

step_result step(pb::TaskState desired, const pb::TaskStatus& current,
                 const observation& obs, int64_t now_ns) {
  auto state = current.state();
  if (is_terminal(state))
    return unchanged(current);
  auto act = next_action(desired, state);
  if (desired >= pb::SHUTDOWN)
    return shutdown_step(current, act, obs, now_ns);
  switch (act) {
    case action::prepare:
      if (obs.what == observation::kind::error)
        return fatal(current, obs, now_ns);
      if (obs.what != observation::kind::done)
        return unchanged(current);
      return move(current, pb::READY, "prepared", "", now_ns);
    case action::start:
      return started(current, obs, now_ns);
    case action::wait:
      if (obs.what == observation::kind::exited)
        return exited(current, obs, now_ns);
      if (obs.what == observation::kind::error)
        return fatal(current, obs, now_ns);
      return unchanged(current);
    default:
      break;
  }
  // Pause states: move on only while the desired state lies further ahead.
  if (!is_pause_state(state) || desired <= state)
    return unchanged(current);
  auto next = after_pause(state);
  return move(current, next, pause_message(next), "", now_ns);
}

step_result adopted(const pb::TaskStatus& current, int32_t pid,
                    int64_t now_ns) {
  if (!can_transition(current.state(), pb::RUNNING))
    return unchanged(current);
  auto r = move(current, pb::RUNNING, "adopted after daemon restart", "",
                now_ns);
  r.status.set_pid(pid);
  r.status.set_started_at_ns(now_ns);
  return r;
}

} // namespace actorswarm::task
