// `actorswarm service ls|ps|inspect|scale|rm|logs` (create:
// service_create.cpp).

#include <memory>
#include <optional>

#include "cli/commands/commands.hpp"
#include "cli/output/views.hpp"
#include "cli/service_spec.hpp"
#include "cli/units.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

struct list_opts {
  std::string format;
  bool quiet = false;
  bool no_trunc = false;
  bool pretty = false;
  bool detach = false;
  std::vector<std::string> filters;
  std::vector<std::string> refs;
};

// Docker's `service ls --filter`: id and name match a prefix, mode exactly,
// label a key or key=value. An unknown key fails before anything is sent.
std::optional<std::string> bad_ls_filter(const std::vector<std::string>& fs) {
  for (const auto& f : fs) {
    auto key = f.substr(0, f.find('='));
    if (f.find('=') == std::string::npos)
      return flag_error("--filter", f,
                        "bad format of filter (expected name=value)");
    if (key != "id" && key != "name" && key != "mode" && key != "label")
      return docker_text::from_daemon(docker_text::invalid_filter(key));
  }
  return std::nullopt;
}

bool ls_filter_match(const std::vector<std::string>& fs, const pb::Service& x) {
  for (const auto& f : fs) {
    auto eq = f.find('=');
    auto key = f.substr(0, eq);
    auto value = f.substr(eq + 1);
    const auto& spec = x.spec();
    bool global = spec.mode() == pb::ServiceSpec::GLOBAL;
    if ((key == "id" && x.id().rfind(value, 0) != 0)
        || (key == "name" && spec.name().rfind(value, 0) != 0)
        || (key == "mode" && value != (global ? "global" : "replicated")))
      return false;
    if (key == "label") {
      auto [k, v] = split_kv(value);
      auto it = spec.labels().find(k);
      if (it == spec.labels().end()
          || (value.find('=') != std::string::npos && it->second != v))
        return false;
    }
  }
  return true;
}

int service_ls(invocation& inv, const list_opts& o) {
  if (auto bad = bad_ls_filter(o.filters))
    return inv.fail(*bad);
  pb::ControlRequest req;
  req.mutable_service_list();
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  std::vector<pb::ServiceEntry> xs;
  for (const auto& e : reply->services())
    if (ls_filter_match(o.filters, e.service()))
      xs.push_back(e);
  auto l = output::service_listing(xs);
  return print_rendered(inv, output::render_listing(l, o.format, o.quiet));
}

int service_ps(invocation& inv, const CLI::App* app, const list_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  pb::ControlRequest req;
  auto* tl = req.mutable_task_list();
  for (const auto& r : o.refs)
    tl->add_service_refs(r);
  for (const auto& f : o.filters) {
    auto eq = f.find('=');
    auto key = f.substr(0, eq);
    auto value = eq == std::string::npos ? "" : f.substr(eq + 1);
    pb::TaskState st;
    if (key != "desired-state")
      return inv.fail(
        docker_text::from_daemon(docker_text::invalid_filter(key)));
    if (value == "running")
      st = pb::RUNNING;
    else if (value == "shutdown")
      st = pb::SHUTDOWN;
    else if (value == "accepted")
      st = pb::ACCEPTED;
    else
      return inv.fail(docker_text::from_daemon(
        docker_text::invalid_filter("desired-state=" + value)));
    tl->add_desired_states(st);
  }
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  std::vector<pb::Task> tasks(reply->tasks().begin(), reply->tasks().end());
  std::map<std::string, std::string> names(reply->node_names().begin(),
                                           reply->node_names().end());
  auto l = output::task_listing(std::move(tasks), names,
                                inv.ctx().wall_now_ns(), o.no_trunc);
  return print_rendered(inv, output::render_listing(l, o.format, o.quiet));
}

// The services of `refs`, one request each as docker's inspect loop: a
// missing one is `Error: no such service: X` (after the others are shown).
std::vector<pb::Service> inspect_refs(invocation& inv,
                                      const std::vector<std::string>& refs,
                                      std::vector<std::string>& errors) {
  std::vector<pb::Service> out;
  for (const auto& ref : refs) {
    pb::ControlRequest req;
    req.mutable_service_inspect()->add_refs(ref);
    pb::ControlReply refused;
    auto reply = inv.call(req, refused);
    if (refused.code() == static_cast<uint32_t>(errc::not_found))
      errors.push_back("Error: no such service: " + ref);
    else if (refused.code() != 0)
      errors.push_back(docker_text::from_daemon(refused.error()));
    else if (!reply)
      return {};
    else
      for (const auto& e : reply->services())
        out.push_back(e.service());
  }
  return out;
}

int service_inspect(invocation& inv, const CLI::App* app, const list_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  std::vector<std::string> errors;
  auto found = inspect_refs(inv, o.refs, errors);
  if (inv.exit_code != 0)
    return 1;
  std::vector<const pb::Service*> xs;
  bool networks = false;
  for (const auto& s : found) {
    xs.push_back(&s);
    networks = networks || !s.spec().networks().empty();
  }
  // --pretty names the networks (docker looks each one up).
  std::map<std::string, std::string> names;
  if (o.pretty && networks) {
    pb::ControlRequest ls;
    ls.mutable_network_list();
    auto nets = inv.call(ls);
    if (!nets)
      return 1;
    for (const auto& n : nets->networks())
      names[n.id()] = n.spec().name();
  }
  // docker flushes what it found (`[]` when nothing), then the errors.
  auto now_ns = inv.ctx().wall_now_ns();
  auto rc = print_inspect(inv, xs, o.pretty, o.format,
                          [&names, now_ns](const pb::Service& s) {
                            return output::service_pretty(s, names, now_ns);
                          });
  for (const auto& e : errors)
    rc = inv.fail(e);
  return rc;
}

int service_scale(invocation& inv, const CLI::App* app, const list_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  std::vector<std::pair<std::string, uint64_t>> targets;
  for (const auto& arg : o.refs) {
    auto eq = arg.find('=');
    auto n = eq == std::string::npos ? result<uint64_t>{failure{}}
                                     : parse_uint(arg.substr(eq + 1));
    if (eq == std::string::npos || eq == 0 || !n)
      return usage_error(inv, app, "invalid scale specifier '" + arg + "'.");
    targets.emplace_back(arg.substr(0, eq), *n);
  }
  int rc = 0;
  std::vector<std::pair<std::string, uint64_t>> scaled;
  for (const auto& [ref, n] : targets) {
    pb::ControlRequest req;
    req.mutable_service_scale()->set_ref(ref);
    req.mutable_service_scale()->set_replicas(n);
    if (!inv.call(req)) {
      rc = 1;
      continue;
    }
    inv.out() << ref << " scaled to " << n << '\n';
    scaled.emplace_back(ref, n);
  }
  for (const auto& [ref, n] : scaled)
    if (!o.detach && wait_converged(inv, ref, false, n, false) != 0)
      rc = 1;
  return rc;
}

int service_rm(invocation& inv, const CLI::App* app, const list_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  return for_each_ref(
    inv, o.refs,
    [](pb::ControlRequest& req, const std::string& ref) {
      req.mutable_service_remove()->add_refs(ref);
    },
    [&inv](const std::string& ref) { inv.out() << ref << '\n'; });
}

} // namespace

void add_service_commands(CLI::App& root, invocation& inv) {
  auto* svc = add_noun(root, "service", "Manage services", inv);
  if (svc == nullptr)
    return;
  add_service_create(*svc, inv);
  add_service_update(*svc, inv);
  auto o = std::make_shared<list_opts>();
  add_leaf(
    *svc, "ls,list", "List services", inv,
    [&inv, o](const CLI::App*) { return service_ls(inv, *o); },
    [o](CLI::App* ls) {
      ls->add_option("--format", o->format,
                     "Format output (table|json|TEMPLATE)");
      ls->add_flag("-q,--quiet", o->quiet, "Only display IDs");
      add_repeated(ls, "-f,--filter", o->filters,
                   "Filter output (id=, name=, mode=, label=)");
    });
  add_leaf(
    *svc, "ps", "List the tasks of one or more services", inv,
    [&inv, o](const CLI::App* a) { return service_ps(inv, a, *o); },
    [o](CLI::App* ps) {
      add_task_list_flags(ps, o->no_trunc, o->filters, o->format, o->quiet);
      ps->add_option("SERVICE", o->refs, "Services");
    });
  add_leaf(
    *svc, "inspect", "Display detailed information on services", inv,
    [&inv, o](const CLI::App* a) { return service_inspect(inv, a, *o); },
    [o](CLI::App* insp) {
      insp->add_flag("--pretty", o->pretty,
                     "Print the information in a human friendly format");
      insp->add_option("-f,--format", o->format, "Format output (json)");
      insp->add_option("SERVICE", o->refs, "Services");
    });
  add_leaf(
    *svc, "scale", "Scale one or multiple replicated services", inv,
    [&inv, o](const CLI::App* a) { return service_scale(inv, a, *o); },
    [o](CLI::App* scale) {
      scale->add_flag("-d,--detach", o->detach, "Exit immediately");
      scale->add_option("SERVICE=REPLICAS", o->refs,
                        "Services and replica counts");
    });
  add_leaf(
    *svc, "rm,remove", "Remove one or more services", inv,
    [&inv, o](const CLI::App* a) { return service_rm(inv, a, *o); },
    [o](CLI::App* rm) { rm->add_option("SERVICE", o->refs, "Services"); });
  auto lopts = std::make_shared<logs_options>();
  add_leaf(
    *svc, "logs", "Fetch the logs of a service or task", inv,
    [&inv, o, lopts](const CLI::App* a) {
      return service_logs(inv, a, o->refs, *lopts);
    },
    [o, lopts](CLI::App* logs) {
      logs->add_flag("-f,--follow", lopts->follow, "Follow log output");
      logs->add_flag("-t,--timestamps", lopts->timestamps, "Show timestamps");
      logs->add_option("-n,--tail", lopts->tail,
                       "Number of lines to show from the end of the logs");
      logs->add_option("--since", lopts->since,
                       "Show logs since timestamp (e.g. "
                       "\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" "
                       "for 42 minutes)");
      logs->add_flag("--raw", lopts->raw, "Do not neatly format logs");
      logs->add_flag("--no-task-ids", lopts->no_task_ids,
                     "Do not include task IDs in output");
      logs->add_flag("--no-trunc", lopts->no_trunc, "Do not truncate output");
      logs->add_option("SERVICE|TASK", o->refs, "Service or task");
    });
}

} // namespace actorswarm::cli
