// Shared helpers of cli/commands/commands.hpp.

#include "cli/commands/commands.hpp"

#include "cli/service_spec.hpp"

namespace actorswarm::cli {

namespace {

// Docker (pflag) wording for an argument that is not a known flag.
std::string unknown_flag(const std::string& arg) {
  if (arg.rfind("--", 0) == 0)
    return "unknown flag: " + arg.substr(0, arg.find('='));
  return "unknown shorthand flag: '" + arg.substr(1, 1) + "' in " + arg;
}

// A subcommand with its name, aliases and description only.
CLI::App* add_named(CLI::App& parent, const std::string& names,
                    const std::string& description) {
  auto xs = command_names(names);
  auto* sub = parent.add_subcommand(xs.at(0), description);
  for (size_t i = 1; i < xs.size(); ++i)
    sub->alias(xs[i]);
  return sub;
}

} // namespace

CLI::App* add_noun(CLI::App& root, const std::string& name,
                   const std::string& description, invocation& inv) {
  auto* noun = add_named(root, name, description);
  if (!inv.plan.builds(name))
    return nullptr;
  noun->callback([noun, &inv] {
    if (noun->get_subcommands().empty())
      inv.out() << noun->help();
  });
  return noun;
}

void add_leaf(CLI::App& parent, const std::string& names,
              const std::string& description, invocation& inv,
              std::function<int(const CLI::App*)> handler,
              const std::function<void(CLI::App*)>& flags) {
  auto* sub = add_named(parent, names, description);
  if (!inv.plan.builds(names))
    return;
  if (flags)
    flags(sub);
  sub->allow_extras();
  sub->callback([sub, &inv, handler] {
    auto extras = sub->remaining();
    for (const auto& x : extras)
      if (x.size() > 1 && x[0] == '-') {
        usage_error(inv, sub, unknown_flag(x));
        return;
      }
    if (!extras.empty()) {
      usage_error(inv, sub,
                  "\"" + command_path(sub)
                    + "\" got an unexpected argument: " + extras[0]);
      return;
    }
    inv.exit_code = handler(sub);
  });
}

CLI::Option* add_repeated(CLI::App* app, const std::string& names,
                          std::vector<std::string>& into,
                          const std::string& description) {
  return app->add_option(names, into, description)
    ->allow_extra_args(false)
    ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void add_task_list_flags(CLI::App* ps, bool& no_trunc,
                         std::vector<std::string>& filters, std::string& format,
                         bool& quiet) {
  ps->add_flag("--no-trunc", no_trunc, "Do not truncate output");
  add_repeated(ps, "-f,--filter", filters, "Filter output (desired-state=...)");
  ps->add_option("--format", format, "Format output (table|json|TEMPLATE)");
  ps->add_flag("-q,--quiet", quiet, "Only display task IDs");
}

void add_health_flags(CLI::App* c, health_flags& h) {
  c->add_option_function<std::string>(
    "--health-cmd",
    [&h](const std::string& x) {
      h.cmd = x;
      h.cmd_given = true;
    },
    "Command to run to check health");
  refuse_empty(c->add_option("--health-interval", h.interval,
                             "Time between running the check (ms|s|m|h)"),
               parse_duration_ns);
  refuse_empty(c->add_option("--health-timeout", h.timeout,
                             "Maximum time to allow one check to run "
                             "(ms|s|m|h)"),
               parse_duration_ns);
  // pflag's IntVar on an empty value (the value is checked when applied).
  auto empty_int = [](const std::string& x) -> result<int64_t> {
    return fail(errc::invalid_spec,
                "strconv.ParseInt: parsing \"" + x + "\": invalid syntax");
  };
  refuse_empty(c->add_option("--health-retries", h.retries,
                             "Consecutive failures needed to report "
                             "unhealthy"),
               empty_int);
  refuse_empty(c->add_option("--health-start-period", h.start_period,
                             "Start period for the container to initialize "
                             "before counting retries towards unstable "
                             "(ms|s|m|h)"),
               parse_duration_ns);
  c->add_flag("--no-healthcheck", h.no_healthcheck,
              "Disable any container-specified HEALTHCHECK");
}

int print_rendered(invocation& inv, const result<std::string>& text) {
  if (!text)
    return inv.fail(text.error().message);
  inv.out() << *text;
  return 0;
}

int require_args(invocation& inv, const CLI::App* app, size_t given,
                 size_t min) {
  if (given >= min)
    return 0;
  return usage_error(inv, app,
                     "\"" + command_path(app) + "\" requires at least "
                       + std::to_string(min) + " argument"
                       + (min == 1 ? "." : "s."));
}

int for_each_ref(
  invocation& inv, const std::vector<std::string>& refs,
  const std::function<void(pb::ControlRequest&, const std::string&)>& fill,
  const std::function<void(const std::string&)>& done) {
  int rc = 0;
  for (const auto& ref : refs) {
    pb::ControlRequest req;
    fill(req, ref);
    if (inv.call(req))
      done(ref);
    else
      rc = 1;
  }
  return rc;
}

} // namespace actorswarm::cli
