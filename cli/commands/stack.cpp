// `actorswarm stack ls|ps|services|rm` (deploy: stack_deploy.cpp), as
// docker/cli's cli/command/stack.

#include "cli/commands/stack.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "cli/compose/convert.hpp"
#include "cli/output/views.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

struct stack_opts {
  std::string format;
  bool quiet = false;
  bool no_trunc = false;
  std::vector<std::string> filters;
  std::vector<std::string> names;
};

template <class Labels>
bool in_stack(const Labels& labels, const std::string& stack) {
  auto it = labels.find(compose::label_namespace);
  return it != labels.end() && it->second == stack;
}

// One STACK positional, valid.
int one_stack(invocation& inv, const CLI::App* app, const stack_opts& o) {
  if (o.names.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  if (auto bad = bad_stack_name(o.names[0]))
    return inv.fail(*bad);
  return 0;
}

int stack_ls(invocation& inv, const stack_opts& o) {
  pb::ControlRequest req;
  req.mutable_service_list();
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  std::map<std::string, int> counts;
  for (const auto& e : reply->services()) {
    auto& labels = e.service().spec().labels();
    auto it = labels.find(compose::label_namespace);
    if (it != labels.end())
      ++counts[it->second];
  }
  output::listing l;
  l.columns = {{"Name", "NAME", {}}, {"Services", "SERVICES", {}}};
  for (const auto& [name, n] : counts)
    l.rows.push_back({{"Name", name}, {"Services", std::to_string(n)}});
  return print_rendered(inv, output::render_listing(l, o.format, false));
}

int stack_service_ls(invocation& inv, const CLI::App* app,
                     const stack_opts& o) {
  if (one_stack(inv, app, o) != 0)
    return 1;
  auto xs = stack_services(inv, o.names[0]);
  if (!xs)
    return 1;
  if (xs->empty()) {
    inv.err() << "Nothing found in stack: " << o.names[0] << '\n';
    return 0;
  }
  auto l = output::service_listing(*xs);
  return print_rendered(inv, output::render_listing(l, o.format, o.quiet));
}

int stack_ps(invocation& inv, const CLI::App* app, const stack_opts& o) {
  if (one_stack(inv, app, o) != 0)
    return 1;
  auto xs = stack_services(inv, o.names[0]);
  if (!xs)
    return 1;
  if (xs->empty())
    return inv.fail("nothing found in stack: " + o.names[0]);
  pb::ControlRequest req;
  auto* tl = req.mutable_task_list();
  for (const auto& e : *xs)
    tl->add_service_refs(e.service().id());
  for (const auto& f : o.filters) {
    if (f != "desired-state=running" && f != "desired-state=shutdown"
        && f != "desired-state=accepted")
      return inv.fail(docker_text::from_daemon(docker_text::invalid_filter(f)));
    auto v = f.substr(f.find('=') + 1);
    tl->add_desired_states(v == "running"    ? pb::RUNNING
                           : v == "shutdown" ? pb::SHUTDOWN
                                             : pb::ACCEPTED);
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

bool remove_stack_networks(invocation& inv, std::vector<pb::Network> xs) {
  bool failed = false;
  std::sort(xs.begin(), xs.end(),
            [](auto& a, auto& b) { return a.spec().name() < b.spec().name(); });
  for (const auto& n : xs) {
    inv.out() << "Removing network " << n.spec().name() << '\n';
    pb::ControlRequest req;
    req.mutable_network_remove()->add_refs(n.id());
    if (!inv.call(req))
      failed = true;
  }
  return failed;
}

int stack_rm(invocation& inv, const CLI::App* app, const stack_opts& o) {
  if (require_args(inv, app, o.names.size(), 1))
    return 1;
  for (const auto& name : o.names)
    if (auto bad = bad_stack_name(name))
      return inv.fail(*bad);
  int rc = 0;
  for (const auto& name : o.names) {
    auto services = stack_services(inv, name);
    if (!services)
      return 1;
    auto networks = stack_networks(inv, name);
    if (!networks)
      return 1;
    if (services->empty() && networks->empty()) {
      inv.err() << "Nothing found in stack: " << name << '\n';
      continue;
    }
    // Services first: a network a service names cannot be removed.
    bool failed = remove_stack_services(inv, *services);
    failed = remove_stack_networks(inv, *networks) || failed;
    if (failed) {
      inv.err() << "failed to remove some resources from stack: " << name
                << '\n';
      rc = 1;
    }
  }
  inv.exit_code = rc;
  return rc;
}

} // namespace

std::optional<std::string> bad_stack_name(const std::string& name) {
  if (name.find_first_not_of(" \t\r\n\v\f\"'") != std::string::npos)
    return std::nullopt;
  return "invalid stack name: \"" + name + "\"";
}

std::optional<std::vector<pb::ServiceEntry>>
stack_services(invocation& inv, const std::string& stack) {
  pb::ControlRequest req;
  req.mutable_service_list();
  auto reply = inv.call(req);
  if (!reply)
    return std::nullopt;
  std::vector<pb::ServiceEntry> out;
  for (const auto& e : reply->services())
    if (in_stack(e.service().spec().labels(), stack))
      out.push_back(e);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.service().spec().name() < b.service().spec().name();
  });
  return out;
}

std::optional<std::vector<pb::Network>>
stack_networks(invocation& inv, const std::string& stack,
               std::vector<pb::Network>* all) {
  pb::ControlRequest req;
  req.mutable_network_list();
  auto reply = inv.call(req);
  if (!reply)
    return std::nullopt;
  std::vector<pb::Network> out;
  for (const auto& n : reply->networks()) {
    if (all != nullptr)
      all->push_back(n);
    if (in_stack(n.spec().labels(), stack))
      out.push_back(n);
  }
  return out;
}

bool remove_stack_services(invocation& inv,
                           const std::vector<pb::ServiceEntry>& xs) {
  bool failed = false;
  for (const auto& e : xs) {
    auto& s = e.service();
    inv.out() << "Removing service " << s.spec().name() << '\n';
    pb::ControlRequest req;
    req.mutable_service_remove()->add_refs(s.id());
    if (!inv.call(req))
      failed = true;
  }
  return failed;
}

void add_stack_commands(CLI::App& root, invocation& inv) {
  auto* stack = add_noun(root, "stack", "Manage Swarm stacks", inv);
  if (stack == nullptr)
    return;
  auto d = std::make_shared<stack_deploy_opts>();
  auto detach_flag = std::make_shared<CLI::Option*>(nullptr);
  add_leaf(
    *stack, "deploy,up", "Deploy a new stack or update an existing stack", inv,
    [&inv, d, detach_flag](const CLI::App* a) {
      bool given = *detach_flag != nullptr && (*detach_flag)->count() > 0;
      return stack_deploy(inv, a, *d, given);
    },
    [d, detach_flag](CLI::App* c) {
      add_repeated(c, "-c,--compose-file", d->files, "Path to a Compose file");
      c->add_flag("--prune", d->prune,
                  "Prune services that are no longer referenced");
      c->add_option("--resolve-image", d->resolve_image,
                    "Query the registry to resolve image digest and "
                    "supported platforms (\"always\", \"changed\", "
                    "\"never\"); no registry here: accepted, not used");
      *detach_flag = c->add_flag("-d,--detach", d->detach,
                                 "Exit immediately instead of waiting for "
                                 "the stack services to converge");
      c->add_flag("-q,--quiet", d->quiet, "Suppress progress output");
      c->add_option("STACK", d->names, "Stack name");
    });
  auto o = std::make_shared<stack_opts>();
  add_leaf(
    *stack, "ls,list", "List stacks", inv,
    [&inv, o](const CLI::App*) { return stack_ls(inv, *o); },
    [o](CLI::App* ls) {
      ls->add_option("--format", o->format,
                     "Format output (table|json|TEMPLATE)");
    });
  add_leaf(
    *stack, "ps", "List the tasks in the stack", inv,
    [&inv, o](const CLI::App* a) { return stack_ps(inv, a, *o); },
    [o](CLI::App* ps) {
      add_task_list_flags(ps, o->no_trunc, o->filters, o->format, o->quiet);
      ps->add_option("STACK", o->names, "Stack name");
    });
  add_leaf(
    *stack, "services", "List the services in the stack", inv,
    [&inv, o](const CLI::App* a) { return stack_service_ls(inv, a, *o); },
    [o](CLI::App* ls) {
      ls->add_option("--format", o->format,
                     "Format output (table|json|TEMPLATE)");
      ls->add_flag("-q,--quiet", o->quiet, "Only display IDs");
      ls->add_option("STACK", o->names, "Stack name");
    });
  add_leaf(
    *stack, "rm,remove,down", "Remove one or more stacks", inv,
    [&inv, o](const CLI::App* a) { return stack_rm(inv, a, *o); },
    [o](CLI::App* rm) { rm->add_option("STACK", o->names, "Stacks"); });
}

} // namespace actorswarm::cli
