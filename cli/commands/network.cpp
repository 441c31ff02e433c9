// `actorswarm network create|ls|inspect|rm`: the swarm's overlay networks.

#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/output/views.hpp"
#include "cli/service_spec.hpp"

namespace actorswarm::cli {

namespace {

struct network_opts {
  std::string driver;
  std::vector<std::string> subnets;
  std::vector<std::string> gateways;
  bool internal = false;
  bool ingress = false;
  std::vector<std::string> labels;
  std::string format;
  bool quiet = false;
  std::vector<std::string> refs;
};

int network_create(invocation& inv, const CLI::App* app,
                   const network_opts& o) {
  if (o.refs.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  // One IPAM config per network here (docker allows one per subnet).
  if (o.subnets.size() > 1)
    return usage_error(inv, app, "only one --subnet per network is supported");
  if (o.gateways.size() > o.subnets.size())
    return usage_error(inv, app,
                       "every ip-range or gateway must have a corresponding "
                       "subnet");
  pb::ControlRequest req;
  auto& spec = *req.mutable_network_create()->mutable_spec();
  spec.set_name(o.refs[0]);
  spec.set_driver(o.driver.empty() ? "overlay" : o.driver);
  spec.set_internal(o.internal);
  spec.set_ingress(o.ingress);
  if (!o.subnets.empty())
    spec.mutable_ipam()->set_subnet(o.subnets[0]);
  if (!o.gateways.empty())
    spec.mutable_ipam()->set_gateway(o.gateways[0]);
  for (const auto& l : o.labels) {
    auto [k, v] = split_kv(l);
    (*spec.mutable_labels())[k] = v;
  }
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  inv.out() << reply->text() << '\n';
  return 0;
}

int network_ls(invocation& inv, const network_opts& o) {
  pb::ControlRequest req;
  req.mutable_network_list();
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  std::vector<pb::Network> xs(reply->networks().begin(),
                              reply->networks().end());
  auto l = output::network_listing(xs);
  return print_rendered(inv, output::render_listing(l, o.format, o.quiet));
}

int network_inspect(invocation& inv, const CLI::App* app,
                    const network_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  pb::ControlRequest req;
  for (const auto& r : o.refs)
    req.mutable_network_inspect()->add_refs(r);
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  std::vector<output::inspect_object> xs;
  for (const auto& n : reply->networks())
    xs.push_back({output::network_json(n), nullptr});
  return print_rendered(inv, output::render_inspect(xs, o.format));
}

int network_rm(invocation& inv, const CLI::App* app, const network_opts& o) {
  if (require_args(inv, app, o.refs.size(), 1))
    return 1;
  return for_each_ref(
    inv, o.refs,
    [](pb::ControlRequest& req, const std::string& ref) {
      req.mutable_network_remove()->add_refs(ref);
    },
    [&inv](const std::string& ref) { inv.out() << ref << '\n'; });
}

} // namespace

void add_network_commands(CLI::App& root, invocation& inv) {
  auto* net = add_noun(root, "network", "Manage networks", inv);
  if (net == nullptr)
    return;
  auto o = std::make_shared<network_opts>();
  add_leaf(
    *net, "create", "Create a network", inv,
    [&inv, o](const CLI::App* a) { return network_create(inv, a, *o); },
    [o](CLI::App* c) {
      c->add_option("-d,--driver", o->driver,
                    "Driver to manage the Network (overlay)");
      add_repeated(c, "--subnet", o->subnets,
                   "Subnet in CIDR format that represents a network segment");
      add_repeated(c, "--gateway", o->gateways,
                   "IPv4 Gateway for the master subnet");
      c->add_flag("--internal", o->internal,
                  "Restrict external access to the network");
      c->add_flag("--ingress", o->ingress, "Create swarm routing-mesh network");
      add_repeated(c, "--label", o->labels, "Set metadata on a network");
      c->add_option("NETWORK", o->refs, "Network name");
    });
  add_leaf(
    *net, "ls,list", "List networks", inv,
    [&inv, o](const CLI::App*) { return network_ls(inv, *o); },
    [o](CLI::App* ls) {
      ls->add_option("--format", o->format,
                     "Format output (table|json|TEMPLATE)");
      ls->add_flag("-q,--quiet", o->quiet, "Only display network IDs");
    });
  add_leaf(
    *net, "inspect", "Display detailed information on one or more networks",
    inv, [&inv, o](const CLI::App* a) { return network_inspect(inv, a, *o); },
    [o](CLI::App* insp) {
      insp->add_option("-f,--format", o->format, "Format output (json)");
      insp->add_option("NETWORK", o->refs, "Networks");
    });
  add_leaf(
    *net, "rm,remove", "Remove one or more networks", inv,
    [&inv, o](const CLI::App* a) { return network_rm(inv, a, *o); },
    [o](CLI::App* rm) { rm->add_option("NETWORK", o->refs, "Networks"); });
}

} // namespace actorswarm::cli
