// `actorswarm node ls|inspect|ps|update|promote|demote|rm`.

#include <algorithm>
#include <map>
#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/output/views.hpp"
#include "cli/service_spec.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

struct node_opts {
  std::string format;
  bool quiet = false;
  bool pretty = false;
  bool no_trunc = false;
  bool force = false;
  std::string availability;
  std::vector<std::string> label_add;
  std::vector<std::string> label_rm;
  std::vector<std::string> refs;
};

int node_ls(invocation& inv, const node_opts& o) {
  pb::ControlRequest req;
  req.mutable_node_list();
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  std::vector<pb::Node> nodes(reply->nodes().begin(), reply->nodes().end());
  // The daemon marks this node by setting info.node_id in the reply.
  auto l = output::node_listing(nodes, reply->info().node_id());
  return print_rendered(inv, output::render_listing(l, o.format, o.quiet));
}

// Docker's node.Reference: `self` names the node the daemon runs on, asked
// with one InfoRequest (only when `self` is used). False after an error.
bool resolve_self(invocation& inv, std::vector<std::string>& refs) {
  if (std::find(refs.begin(), refs.end(), "self") == refs.end())
    return true;
  pb::ControlRequest req;
  req.mutable_info();
  auto reply = inv.call(req);
  if (!reply)
    return false;
  const auto& id = reply->info().node_id();
  if (id.empty()) {
    inv.fail(docker_text::from_daemon(docker_text::not_swarm_manager()));
    return false;
  }
  std::replace(refs.begin(), refs.end(), std::string{"self"}, id);
  return true;
}

int node_inspect(invocation& inv, const CLI::App* app, const node_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  auto refs = o.refs;
  if (!resolve_self(inv, refs))
    return 1;
  pb::ControlRequest req;
  for (const auto& r : refs)
    req.mutable_node_inspect()->add_refs(r);
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  std::vector<const pb::Node*> xs;
  for (const auto& n : reply->nodes())
    xs.push_back(&n);
  return print_inspect(inv, xs, o.pretty, o.format, output::node_pretty);
}

// `node ps [NODE...]`: the tasks on each node (default: self), as
// `service ps` shows them.
int node_ps(invocation& inv, const node_opts& o) {
  auto refs = o.refs.empty() ? std::vector<std::string>{"self"} : o.refs;
  if (!resolve_self(inv, refs))
    return 1;
  std::vector<pb::Task> tasks;
  std::map<std::string, std::string> names;
  for (const auto& ref : refs) {
    pb::ControlRequest req;
    req.mutable_task_list()->set_node_ref(ref);
    auto reply = inv.call(req);
    if (!reply)
      return 1;
    tasks.insert(tasks.end(), reply->tasks().begin(), reply->tasks().end());
    names.insert(reply->node_names().begin(), reply->node_names().end());
  }
  auto l = output::task_listing(std::move(tasks), names,
                                inv.ctx().wall_now_ns(), o.no_trunc);
  return print_rendered(inv, output::render_listing(l, o.format, o.quiet));
}

int node_update(invocation& inv, const CLI::App* app, const node_opts& o) {
  if (o.refs.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  pb::ControlRequest req;
  auto* u = req.mutable_node_update();
  u->set_ref(o.refs[0]);
  if (!o.availability.empty()) {
    pb::NodeSpec::Availability a;
    if (o.availability == "active")
      a = pb::NodeSpec::ACTIVE;
    else if (o.availability == "pause")
      a = pb::NodeSpec::PAUSE;
    else if (o.availability == "drain")
      a = pb::NodeSpec::DRAIN;
    else
      return usage_error(inv, app,
                         "invalid argument \"" + o.availability
                           + "\" for \"--availability\" flag: must be "
                             "one of active, pause, drain");
    u->set_set_availability(true);
    u->set_availability(a);
  }
  for (const auto& l : o.label_add) {
    auto [k, v] = split_kv(l);
    if (k.empty())
      return usage_error(inv, app, "invalid label '" + l + "'");
    (*u->mutable_label_add())[k] = v;
  }
  for (const auto& k : o.label_rm)
    u->add_label_rm(k);
  if (!inv.call(req))
    return 1;
  inv.out() << o.refs[0] << '\n';
  return 0;
}

int node_role(invocation& inv, const CLI::App* app, const node_opts& o,
              bool promote) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  auto role = promote ? pb::NodeSpec::MANAGER : pb::NodeSpec::WORKER;
  return for_each_ref(
    inv, o.refs,
    [role](pb::ControlRequest& req, const std::string& ref) {
      req.mutable_node_role()->add_refs(ref);
      req.mutable_node_role()->set_role(role);
    },
    [&inv, promote](const std::string& ref) {
      if (promote)
        inv.out() << "Node " << ref << " promoted to a manager in the swarm.\n";
      else
        inv.out() << "Manager " << ref << " demoted in the swarm.\n";
    });
}

int node_rm(invocation& inv, const CLI::App* app, const node_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  return for_each_ref(
    inv, o.refs,
    [&o](pb::ControlRequest& req, const std::string& ref) {
      req.mutable_node_remove()->add_refs(ref);
      req.mutable_node_remove()->set_force(o.force);
    },
    [&inv](const std::string& ref) { inv.out() << ref << '\n'; });
}

} // namespace

void add_node_commands(CLI::App& root, invocation& inv) {
  auto* node = add_noun(root, "node", "Manage Swarm nodes", inv);
  if (node == nullptr)
    return;
  auto o = std::make_shared<node_opts>();
  add_leaf(
    *node, "ls,list", "List nodes in the swarm", inv,
    [&inv, o](const CLI::App*) { return node_ls(inv, *o); },
    [o](CLI::App* ls) {
      ls->add_option("--format", o->format,
                     "Format output (table|json|TEMPLATE)");
      ls->add_flag("-q,--quiet", o->quiet, "Only display IDs");
    });
  add_leaf(
    *node, "inspect", "Display detailed information on nodes", inv,
    [&inv, o](const CLI::App* a) { return node_inspect(inv, a, *o); },
    [o](CLI::App* insp) {
      insp->add_flag("--pretty", o->pretty,
                     "Print the information in a human friendly format");
      insp->add_option("-f,--format", o->format, "Format output (json)");
      insp->add_option("NODE", o->refs, "Nodes (self: this node)");
    });
  add_leaf(
    *node, "ps",
    "List tasks running on one or more nodes, defaults to current node", inv,
    [&inv, o](const CLI::App*) { return node_ps(inv, *o); },
    [o](CLI::App* ps) {
      ps->add_flag("--no-trunc", o->no_trunc, "Do not truncate output");
      ps->add_option("--format", o->format,
                     "Format output (table|json|TEMPLATE)");
      ps->add_flag("-q,--quiet", o->quiet, "Only display task IDs");
      ps->add_option("NODE", o->refs, "Nodes (default: self)");
    });
  add_leaf(
    *node, "update", "Update a node", inv,
    [&inv, o](const CLI::App* a) { return node_update(inv, a, *o); },
    [o](CLI::App* up) {
      up->add_option("--availability", o->availability,
                     "Availability of the node (active|pause|drain)");
      add_repeated(up, "--label-add", o->label_add,
                   "Add or update a node label (key=value)");
      add_repeated(up, "--label-rm", o->label_rm,
                   "Remove a node label if exists");
      up->add_option("NODE", o->refs, "Node");
    });
  add_leaf(
    *node, "promote", "Promote one or more nodes to manager", inv,
    [&inv, o](const CLI::App* a) { return node_role(inv, a, *o, true); },
    [o](CLI::App* pro) { pro->add_option("NODE", o->refs, "Nodes"); });
  add_leaf(
    *node, "demote", "Demote one or more nodes from manager", inv,
    [&inv, o](const CLI::App* a) { return node_role(inv, a, *o, false); },
    [o](CLI::App* de) { de->add_option("NODE", o->refs, "Nodes"); });
  add_leaf(
    *node, "rm,remove", "Remove one or more nodes from the swarm", inv,
    [&inv, o](const CLI::App* a) { return node_rm(inv, a, *o); },
    [o](CLI::App* rm) {
      rm->add_flag("-f,--force", o->force,
                   "Force remove a node from the swarm");
      rm->add_option("NODE", o->refs, "Nodes");
    });
}

} // namespace actorswarm::cli
