// wait_converged (cli/commands/commands.hpp): the polling loop around
// output::convergence_tracker.

#include "cli/commands/commands.hpp"
#include "cli/output/progress.hpp"

namespace actorswarm::cli {

namespace {

constexpr int64_t poll_interval_ns = 100'000'000;
constexpr int64_t pending_err_ns = 3'000'000'000;
constexpr uint32_t failures_max = 3;
/// Bound on polls: ten minutes; docker waits forever, a script should not.
constexpr int polls_max = 6000;

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

} // namespace actorswarm::cli
