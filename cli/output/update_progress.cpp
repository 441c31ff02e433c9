#include "cli/output/update_progress.hpp"

#include <google/protobuf/util/message_differencer.h>

namespace actorswarm::cli::output {

namespace {

// SwarmKit's default monitor period, which docker's progress waits when the
// spec names none.
constexpr int64_t default_monitor_ns = 5'000'000'000;
constexpr int64_t second_ns = 1'000'000'000;

bool same_status(const pb::UpdateStatus& x, const pb::UpdateStatus& y) {
  return google::protobuf::util::MessageDifferencer::Equals(x, y);
}

// docker's ServiceProgress reads the monitor period of the update config;
// a rollback runs with the rollback config, so its period applies then.
int64_t monitor_of(const pb::ServiceSpec& spec, bool rollback) {
  if (rollback)
    return spec.has_rollback() ? spec.rollback().monitor_ns()
                               : default_monitor_ns;
  return spec.has_update() ? spec.update().monitor_ns() : default_monitor_ns;
}

} // namespace

update_tracker::update_tracker(update_wait_config cfg)
  : cfg_(std::move(cfg)), rollback_(cfg_.rollback) {
  // nop
}

void update_tracker::observe(const pb::Service& s,
                             const std::vector<pb::Task>& tasks,
                             int64_t now_ns) {
  if (outcome_ != update_outcome::waiting)
    return;
  apply_status(s);
  if (outcome_ != update_outcome::waiting)
    return;
  const auto& spec = s.spec();
  bool global = spec.mode() == pb::ServiceSpec::GLOBAL;
  if (!tracker_ || global != global_ || spec.replicas() != replicas_) {
    // A rollback may restore another replica count: start the count over.
    global_ = global;
    replicas_ = spec.replicas();
    tracker_.emplace(global_, replicas_, cfg_.pending_err_ns,
                     cfg_.failures_max);
  }
  task_filter current;
  if (!finished_)
    current = [&s, this](const pb::Task& t) {
      using google::protobuf::util::MessageDifferencer;
      return t.spec_version() == s.spec_version()
             || (!cfg_.force
                 && MessageDifferencer::Equals(t.spec(), s.spec().task()));
    };
  tracker_->observe(tasks, now_ns, current);
  if (tracker_->converged()) {
    verify(monitor_of(spec, rollback_), now_ns);
    return;
  }
  // docker: a task that fell over after convergence restarts the wait.
  if (converged_at_ns_)
    verify_row_ = "verify: Detected task failure";
  converged_at_ns_.reset();
  if (!active_ && !tracker_->failure().empty())
    fail_with("service " + cfg_.ref
              + " cannot converge: " + tracker_->failure());
}

void update_tracker::apply_status(const pb::Service& s) {
  if (!s.has_update_status() || same_status(s.update_status(), cfg_.baseline))
    return;
  const auto& st = s.update_status();
  const auto& msg = st.message();
  switch (st.state()) {
    case pb::UpdateStatus::UPDATING:
      rollback_ = false;
      active_ = true;
      finished_ = false;
      break;
    case pb::UpdateStatus::COMPLETED:
      active_ = false;
      finished_ = true;
      break;
    case pb::UpdateStatus::PAUSED:
      fail_with("service update paused: " + msg);
      break;
    case pb::UpdateStatus::ROLLBACK_STARTED:
      if (started_row_.empty() && !msg.empty())
        started_row_ = "rollback: " + msg;
      rollback_ = true;
      active_ = true;
      finished_ = false;
      break;
    case pb::UpdateStatus::ROLLBACK_PAUSED:
      fail_with("service rollback paused: " + msg);
      break;
    case pb::UpdateStatus::ROLLBACK_COMPLETED:
      rollback_ = true;
      active_ = false;
      finished_ = true;
      // An update that rolled back did not do what was asked; a rollback
      // did (docker prints its message once verified).
      if (!cfg_.rollback)
        fail_with("service rolled back: " + msg);
      else if (!msg.empty())
        completed_row_ = "rollback: " + msg;
      break;
    default:
      break;
  }
}

// docker's verify step: converged for the monitor period, counted from the
// first poll that saw it; the end waits until the orchestrator is done too.
void update_tracker::verify(int64_t monitor_ns, int64_t now_ns) {
  if (!converged_at_ns_)
    converged_at_ns_ = now_ns;
  auto left_ns = monitor_ns - (now_ns - *converged_at_ns_);
  if (left_ns > 0) {
    // docker's wait/time.Second+1, its wait a hair under the period.
    verify_row_ = "verify: Waiting "
                  + std::to_string((left_ns - 1) / second_ns + 1)
                  + " seconds to verify that tasks are stable...";
    return;
  }
  if (active_)
    return;
  verify_row_ = "verify: Service converged";
  outcome_ = update_outcome::done;
}

void update_tracker::fail_with(std::string line) {
  error_ = std::move(line);
  outcome_ = update_outcome::failed;
}

std::vector<std::pair<std::string, std::string>>
update_tracker::rows(bool tty) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!tracker_)
    return out;
  out.emplace_back("overall",
                   "overall progress: "
                     + std::string{rollback_ ? "rolling back update: " : ""}
                     + std::to_string(tracker_->running()) + " out of "
                     + std::to_string(tracker_->total()) + " tasks");
  for (const auto& l : tracker_->lines())
    out.emplace_back(l.label, render_line(l, tty));
  if (!started_row_.empty())
    out.emplace_back("rollback", started_row_);
  if (!verify_row_.empty())
    out.emplace_back("verify", verify_row_);
  if (outcome_ == update_outcome::done && !completed_row_.empty())
    out.emplace_back("rollback completed", completed_row_);
  return out;
}

} // namespace actorswarm::cli::output
