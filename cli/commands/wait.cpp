// wait_converged and wait_updated (cli/commands/commands.hpp): the polling
// loops around output::convergence_tracker and output::update_tracker.

#include <algorithm>
#include <optional>

#include "cli/commands/commands.hpp"
#include "cli/output/progress.hpp"
#include "cli/output/update_progress.hpp"

namespace actorswarm::cli {

namespace {

constexpr int64_t poll_interval_ns = 100'000'000;
constexpr int64_t pending_err_ns = 3'000'000'000;
constexpr uint32_t failures_max = 3;
/// Bound on polls: ten minutes; docker waits forever, a script should not.
constexpr int polls_max = 6000;
/// An update may take long (delays between batches, monitor periods), so
/// its wait ends when nothing changed for this long past its delay and
/// monitor period, and after a week at most.
constexpr int64_t update_idle_ns = 600'000'000'000;
constexpr int64_t update_polls_max = 7 * 24 * 3600 * 10;

// One poll of an update: the service, then its tasks; nullopt after
// printing the error.
std::optional<std::pair<pb::Service, std::vector<pb::Task>>>
poll_update(invocation& inv, const std::string& service_id) {
  pb::ControlRequest read;
  read.mutable_service_inspect()->add_refs(service_id);
  auto found = inv.call(read);
  if (!found)
    return std::nullopt;
  if (found->services().empty()) {
    inv.fail("Error: no such service: " + service_id);
    return std::nullopt;
  }
  pb::ControlRequest list;
  list.mutable_task_list()->add_service_refs(service_id);
  auto listed = inv.call(list);
  if (!listed)
    return std::nullopt;
  return std::make_pair(found->services(0).service(),
                        std::vector<pb::Task>(listed->tasks().begin(),
                                              listed->tasks().end()));
}

// How long an update may show no change before the wait gives up.
int64_t idle_limit_ns(const pb::ServiceSpec& spec) {
  const auto& u = spec.update();
  const auto& r = spec.rollback();
  return update_idle_ns + std::max(u.delay_ns(), r.delay_ns())
         + std::max(u.monitor_ns(), r.monitor_ns());
}

} // namespace

int wait_converged(invocation& inv, const std::string& service_ref, bool global,
                   uint64_t replicas, bool quiet) {
  output::convergence_tracker tracker{global, replicas, pending_err_ns,
                                      failures_max};
  output::progress_printer printer{inv.ctx().out_is_tty};
  pb::ControlRequest req;
  req.mutable_task_list()->add_service_refs(service_ref);
  for (int i = 0; i < polls_max; ++i) {
    auto reply = inv.call(req);
    if (!reply)
      return 1;
    std::vector<pb::Task> tasks(reply->tasks().begin(), reply->tasks().end());
    tracker.observe(tasks, inv.ctx().mono_now_ns());
    if (!quiet)
      inv.out() << printer.frame(tracker) << std::flush;
    if (tracker.converged()) {
      if (!quiet)
        inv.out() << "verify: Service converged\n";
      return 0;
    }
    if (!tracker.failure().empty())
      return inv.fail("service " + service_ref
                      + " cannot converge: " + tracker.failure());
    inv.ctx().sleep_ns(poll_interval_ns);
  }
  return inv.fail("service " + service_ref
                  + " did not converge within 10 minutes");
}

int wait_updated(invocation& inv, const std::string& service_id,
                 output::update_wait_config cfg, bool quiet) {
  auto ref = cfg.ref;
  output::update_tracker tracker{std::move(cfg)};
  output::progress_printer printer{inv.ctx().out_is_tty};
  std::vector<std::pair<std::string, std::string>> last_rows;
  int64_t changed_ns = inv.ctx().mono_now_ns();
  for (int64_t i = 0; i < update_polls_max; ++i) {
    auto polled = poll_update(inv, service_id);
    if (!polled)
      return 1;
    auto now_ns = inv.ctx().mono_now_ns();
    tracker.observe(polled->first, polled->second, now_ns);
    auto rows = tracker.rows(printer.tty());
    if (!quiet)
      inv.out() << printer.frame(rows) << std::flush;
    if (tracker.outcome() == output::update_outcome::done)
      return 0;
    if (tracker.outcome() == output::update_outcome::failed)
      return inv.fail(tracker.error());
    if (rows != last_rows) {
      last_rows = std::move(rows);
      changed_ns = now_ns;
    } else if (now_ns - changed_ns > idle_limit_ns(polled->first.spec())) {
      break;
    }
    inv.ctx().sleep_ns(poll_interval_ns);
  }
  return inv.fail("service " + ref + " made no progress for "
                  + human_duration(update_idle_ns));
}

} // namespace actorswarm::cli
