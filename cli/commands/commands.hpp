#pragma once

// Registration of the CLI's commands on CLI11 apps, one file per noun
// (swarm.cpp, node.cpp, service.cpp, service_create.cpp, service_update.cpp,
// daemon_cmd.cpp, stack.cpp).
// Each leaf command runs its handler after parsing; unknown flags and stray
// arguments become docker's messages (`unknown flag: --foo` + `See '...'.`).

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands/invocation.hpp"
#include "cli/output/update_progress.hpp"
#include "cli/output/views.hpp"
#include "cli/units.hpp"
#include "messages/result.hpp"

namespace actorswarm::cli {

/// "actorswarm service create" for the app of `service create`.
std::string command_path(const CLI::App* app);

/// Prints `message` then `See '<path> --help'.` on stderr; returns 1.
int usage_error(invocation& inv, const CLI::App* app,
                const std::string& message);

/// Adds noun command `name` (swarm, node, service) to `root`. Returns it when
/// inv.plan builds it, for its leaves to be added; else it is only named
/// (command_plan.hpp) and nullptr is returned. Without a verb it prints its
/// help.
CLI::App* add_noun(CLI::App& root, const std::string& name,
                   const std::string& description, invocation& inv);

/// Adds leaf command `names` ("ls,list": its name, then aliases) to `parent`.
/// When inv.plan builds it, `flags(leaf)` adds its options and positionals, and
/// after parsing, unknown flags and stray arguments are refused; then
/// inv.exit_code = handler(leaf). Otherwise the leaf is only named
/// (command_plan.hpp).
void add_leaf(CLI::App& parent, const std::string& names,
              const std::string& description, invocation& inv,
              std::function<int(const CLI::App*)> handler,
              const std::function<void(CLI::App*)>& flags = {});

/// Sets `--cert-expiry` (a duration, `text`) on the swarm update `u`; the
/// flag's error line when it does not parse (swarm_ca.cpp).
status set_cert_expiry(pb::SwarmUpdateRequest& u, const std::string& text);

/// Adds `unlock-key` and `unlock` to the `swarm` noun (swarm_lock.cpp).
void add_swarm_lock_commands(CLI::App& swarm, invocation& inv);

/// Adds `ca` to the `swarm` noun (swarm_ca.cpp).
void add_swarm_ca_command(CLI::App& swarm, invocation& inv);

/// Adds an option that takes exactly one value per occurrence and may repeat
/// (`--env A=1 --env B=2`), so it never swallows IMAGE or COMMAND.
CLI::Option* add_repeated(CLI::App* app, const std::string& names,
                          std::vector<std::string>& into,
                          const std::string& description);

/// The flags of a task table (`service ps`, `stack ps`): --no-trunc,
/// -f/--filter, --format, -q/--quiet.
void add_task_list_flags(CLI::App* ps, bool& no_trunc,
                         std::vector<std::string>& filters, std::string& format,
                         bool& quiet);

/// Prints `text` on stdout and returns 0, or its error line on stderr and
/// returns 1 (a --format template that does not parse or evaluate).
int print_rendered(invocation& inv, const result<std::string>& text);

/// Refuses an empty value of `opt` while parsing, with `parse`'s error in
/// pflag's words (`invalid argument "" for "--replicas" flag:
/// strconv.ParseUint: parsing "": invalid syntax`): the commands read an
/// empty value as "flag not given", so `--replicas ""` would otherwise be
/// taken as the default. For options that hold numbers, durations, sizes.
template <class Parse>
CLI::Option* refuse_empty(CLI::Option* opt, Parse parse) {
  auto flag = opt->get_name();
  opt->check(CLI::Validator(
    [flag, parse](std::string& x) -> std::string {
      if (!x.empty())
        return {};
      auto r = parse(x);
      return r ? std::string{} : flag_error(flag, x, r.error().message);
    },
    ""));
  return opt;
}

/// The restart policy flags shared by `service create` and `service
/// update` (`--restart-condition|delay|max-attempts|window`), into the
/// fields of the same names of `f`.
template <class Flags>
void add_restart_flags(CLI::App* c, Flags& f) {
  c->add_option("--restart-condition", f.restart_condition,
                "Restart when condition is met (none|on-failure|any)");
  refuse_empty(c->add_option("--restart-delay", f.restart_delay,
                             "Delay between restart attempts (ns|us|ms|s|m|h)"),
               parse_duration_ns);
  refuse_empty(c->add_option("--restart-max-attempts", f.restart_max_attempts,
                             "Maximum number of restarts before giving up"),
               parse_uint);
  refuse_empty(c->add_option("--restart-window", f.restart_window,
                             "Window used to evaluate the restart policy"),
               parse_duration_ns);
}

/// The update and rollback policy flags shared by `service create` and
/// `service update` (`--update-parallelism|delay|monitor|failure-action|
/// max-failure-ratio|order`, the same with `--rollback-`), into `f`
/// (update_policy_flags.cpp).
struct update_policy_flags;
void add_update_policy_flags(CLI::App* c, update_policy_flags& f);
struct health_flags;

/// docker's health check flags, shared by `service create` and `service
/// update` (--health-cmd|interval|timeout|retries|start-period,
/// --no-healthcheck), into `h`.
void add_health_flags(CLI::App* c, health_flags& h);

/// Requires at least `min` positionals: docker's
/// `"actorswarm node rm" requires at least 1 argument.`; returns 0 or 1.
int require_args(invocation& inv, const CLI::App* app, size_t given,
                 size_t min);

/// Docker's per-item loop (`rm`, `promote`): one request per ref, built by
/// `fill`; prints each failure and keeps going; `done(ref)` prints success.
/// Returns 0 when every ref succeeded, else 1.
int for_each_ref(
  invocation& inv, const std::vector<std::string>& refs,
  const std::function<void(pb::ControlRequest&, const std::string&)>& fill,
  const std::function<void(const std::string&)>& done);

/// Prints `inspect` output: `pretty(x)` for each object with --pretty, else
/// the JSON array or the --format template. Returns 0, or 1 after printing
/// the template's error line (nothing else printed).
template <class T, class Pretty>
int print_inspect(invocation& inv, const std::vector<const T*>& xs, bool pretty,
                  const std::string& format, Pretty pretty_fn) {
  if (pretty) {
    for (const auto* x : xs)
      inv.out() << pretty_fn(*x);
    return 0;
  }
  std::vector<output::inspect_object> objects;
  for (const auto* x : xs)
    objects.push_back(output::inspect_view(*x));
  return print_rendered(inv, output::render_inspect(objects, format));
}

/// Polls TaskList about every 100 ms and shows docker's progress until the
/// service converges; returns 0, or 1 after printing why it cannot converge.
int wait_converged(invocation& inv, const std::string& service_ref, bool global,
                   uint64_t replicas, bool quiet);

/// Follows an update (or rollback) of the service `service_id` until it
/// converged and was verified (0), or paused, rolled back or cannot
/// converge (1, after the error line): polls the service and its tasks about
/// every 100 ms and shows docker's progress (cli/output/update_progress.hpp)
/// unless `quiet`.
int wait_updated(invocation& inv, const std::string& service_id,
                 output::update_wait_config cfg, bool quiet);

/// `service logs` flags, docker's.
struct logs_options {
  bool follow = false;
  bool timestamps = false;
  std::string tail = "all";
  std::string since;
  bool raw = false;
  bool no_task_ids = false;
  bool no_trunc = false;
};

/// `service logs`: streams LogsRequest replies, one line per LogLine
/// (cli/logs_format.hpp); a node that did not answer is reported on stderr
/// as docker does, and the exit code is then 1.
int service_logs(invocation& inv, const CLI::App* app,
                 const std::vector<std::string>& refs,
                 const logs_options& opts);

void add_daemon_command(CLI::App& root, invocation& inv);
void add_swarm_commands(CLI::App& root, invocation& inv);
void add_node_commands(CLI::App& root, invocation& inv);
void add_service_commands(CLI::App& root, invocation& inv);
void add_service_create(CLI::App& service, invocation& inv);
void add_service_update(CLI::App& service, invocation& inv);
void add_network_commands(CLI::App& root, invocation& inv);
void add_stack_commands(CLI::App& root, invocation& inv);

/// `actorswarm info`.
int info_command(invocation& inv);

} // namespace actorswarm::cli
