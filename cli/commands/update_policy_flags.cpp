// add_update_policy_flags (cli/commands/commands.hpp): the `--update-*` and
// `--rollback-*` flags of `service create` and `service update`, with
// docker's names and help texts.

#include "cli/commands/commands.hpp"
#include "cli/update_policy.hpp"

namespace actorswarm::cli {

namespace {

struct family_text {
  const char* name;        // "update" or "rollback"
  const char* parallelism; // help texts, docker's
  const char* delay;
  const char* monitor;
  const char* failure;
  const char* ratio;
  const char* order;
};

void add_family(CLI::App* c, const family_text& t, update_config_flags& f) {
  auto flag = [&t](const char* suffix) {
    return std::string{"--"} + t.name + "-" + suffix;
  };
  refuse_empty(c->add_option(flag("parallelism"), f.parallelism, t.parallelism),
               parse_uint);
  refuse_empty(c->add_option(flag("delay"), f.delay, t.delay),
               parse_duration_ns);
  refuse_empty(c->add_option(flag("monitor"), f.monitor, t.monitor),
               parse_duration_ns);
  c->add_option(flag("failure-action"), f.failure_action, t.failure);
  refuse_empty(c->add_option(flag("max-failure-ratio"), f.max_failure_ratio,
                             t.ratio),
               parse_float32);
  c->add_option(flag("order"), f.order, t.order);
}

} // namespace

void add_update_policy_flags(CLI::App* c, update_policy_flags& f) {
  add_family(c,
             {"update",
              "Maximum number of tasks updated simultaneously (0 to update "
              "all at once) (default 1)",
              "Delay between updates (ns|us|ms|s|m|h) (default 0s)",
              "Duration after each task update to monitor for failure "
              "(ns|us|ms|s|m|h) (default 5s)",
              "Action on update failure (\"pause\", \"continue\", "
              "\"rollback\") (default \"pause\")",
              "Failure rate to tolerate during an update (default 0)",
              "Update order (\"start-first\", \"stop-first\") (default "
              "\"stop-first\")"},
             f.update);
  add_family(c,
             {"rollback",
              "Maximum number of tasks rolled back simultaneously (0 to roll "
              "back all at once) (default 1)",
              "Delay between task rollbacks (ns|us|ms|s|m|h) (default 0s)",
              "Duration after each task rollback to monitor for failure "
              "(ns|us|ms|s|m|h) (default 5s)",
              "Action on rollback failure (\"pause\", \"continue\") (default "
              "\"pause\")",
              "Failure rate to tolerate during a rollback (default 0)",
              "Rollback order (\"start-first\", \"stop-first\") (default "
              "\"stop-first\")"},
             f.rollback);
}

} // namespace actorswarm::cli
