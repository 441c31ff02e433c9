// `actorswarm stack deploy` (docker/cli cli/command/stack/deploy*.go): the
// compose files are read and converted in full before the first request,
// so an invalid file deploys nothing. Then, as docker: --prune removes the
// stack's services the files no longer name, the stack's networks are
// created ("Creating network web_default"), and each service is created
// ("Creating service web_app") or updated ("Updating service web_app (id:
// ...)") with the full new spec at the version read, so the daemon runs
// its rolling update. Unlike docker, an existing service whose spec does
// not change is sent nothing (its spec version stays), so a redeploy
// touches only what changed.

#include <algorithm>
#include <map>
#include <set>

#include <google/protobuf/util/message_differencer.h>

#include "cli/commands/stack.hpp"
#include "cli/compose/convert.hpp"

namespace actorswarm::cli {

namespace {

// `fresh` as the daemon stores it: network names become ids (the control
// rules store targets as ids), so a spec read back compares equal to the
// spec it was created from.
bool same_spec(const pb::ServiceSpec& stored, pb::ServiceSpec fresh,
               const std::map<std::string, std::string>& net_ids) {
  for (auto& a : *fresh.mutable_networks())
    if (auto it = net_ids.find(a.target()); it != net_ids.end())
      a.set_target(it->second);
  // Equivalent: an unset message equals one holding only defaults.
  return google::protobuf::util::MessageDifferencer::Equivalent(stored, fresh);
}

void print_ignored(invocation& inv, const compose::config& c) {
  if (!c.unsupported.empty()) {
    inv.err() << "Ignoring unsupported options: ";
    for (size_t i = 0; i < c.unsupported.size(); ++i)
      inv.err() << (i == 0 ? "" : ", ") << c.unsupported[i];
    inv.err() << "\n\n";
  }
  if (!c.deprecated.empty()) {
    inv.err() << "Ignoring deprecated options:\n\n";
    bool first = true;
    for (const auto& [k, why] : c.deprecated) {
      inv.err() << (first ? "" : "\n\n") << k << ": " << why;
      first = false;
    }
    inv.err() << "\n\n";
  }
}

// docker's checkDaemonIsSwarmManager.
bool is_manager(invocation& inv) {
  pb::ControlRequest req;
  req.mutable_info();
  auto reply = inv.call(req);
  if (!reply)
    return false;
  if (!reply->info().is_manager()) {
    inv.fail("this node is not a swarm manager. Use \"actorswarm swarm init\" "
             "or \"actorswarm swarm join\" to connect this node to swarm and "
             "try again");
    return false;
  }
  return true;
}

// Creates the stack's networks that do not exist yet; checks the external
// ones exist. Fills `ids` (name -> id) for every network of the swarm.
bool deploy_networks(invocation& inv, const std::string& stack,
                     const compose::stack_objects& objs,
                     std::map<std::string, std::string>& ids) {
  std::vector<pb::Network> all;
  auto mine = stack_networks(inv, stack, &all);
  if (!mine)
    return false;
  for (const auto& n : all)
    ids[n.spec().name()] = n.id();
  for (const auto& name : objs.external_networks)
    if (ids.count(name) == 0) {
      inv.fail("network \"" + name
               + "\" is declared as external, but could not be found. You "
                 "need to create a swarm-scoped network before the stack is "
                 "deployed");
      return false;
    }
  std::set<std::string> existing;
  for (const auto& n : *mine)
    existing.insert(n.spec().name());
  for (const auto& spec : objs.networks) {
    if (existing.count(spec.name()) != 0)
      continue;
    inv.out() << "Creating network " << spec.name() << '\n';
    pb::ControlRequest req;
    *req.mutable_network_create()->mutable_spec() = spec;
    auto reply = inv.call(req);
    if (!reply)
      return false;
    ids[spec.name()] = reply->text();
  }
  return true;
}

struct deployed {
  std::string id;
  bool global;
  uint64_t replicas;
};

bool deploy_services(invocation& inv, const std::string& stack,
                     const compose::stack_objects& objs,
                     const std::map<std::string, std::string>& net_ids,
                     std::vector<deployed>& out) {
  auto existing = stack_services(inv, stack);
  if (!existing)
    return false;
  std::map<std::string, const pb::Service*> by_name;
  for (const auto& e : *existing)
    by_name[e.service().spec().name()] = &e.service();
  for (const auto& spec : objs.services) {
    pb::ControlRequest req;
    auto it = by_name.find(spec.name());
    if (it != by_name.end()) {
      auto& svc = *it->second;
      inv.out() << "Updating service " << spec.name() << " (id: " << svc.id()
                << ")\n";
      if (!same_spec(svc.spec(), spec, net_ids)) {
        auto* up = req.mutable_service_update();
        up->set_ref(svc.id());
        *up->mutable_spec() = spec;
        up->set_version(svc.meta().version());
      }
    } else {
      inv.out() << "Creating service " << spec.name() << '\n';
      *req.mutable_service_create()->mutable_spec() = spec;
    }
    std::string id = it != by_name.end() ? it->second->id() : "";
    if (req.request_case() != pb::ControlRequest::REQUEST_NOT_SET) {
      auto reply = inv.call(req);
      if (!reply)
        return false;
      if (id.empty())
        id = reply->ids().empty() ? reply->text() : reply->ids(0);
    }
    out.push_back({id, spec.mode() == pb::ServiceSpec::GLOBAL,
                   spec.replicas()});
  }
  return true;
}

// --prune: the stack's services the files no longer name.
bool prune(invocation& inv, const std::string& stack,
           const compose::stack_objects& objs) {
  auto existing = stack_services(inv, stack);
  if (!existing)
    return false;
  std::set<std::string> wanted;
  for (const auto& s : objs.services)
    wanted.insert(s.name());
  std::vector<pb::ServiceEntry> gone;
  for (const auto& e : *existing)
    if (wanted.count(e.service().spec().name()) == 0)
      gone.push_back(e);
  return !remove_stack_services(inv, gone);
}

} // namespace

int stack_deploy(invocation& inv, const CLI::App* app,
                 const stack_deploy_opts& o, bool detach_given) {
  if (o.names.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  const auto& stack = o.names[0];
  if (auto bad = bad_stack_name(stack))
    return inv.fail(*bad);
  if (o.files.empty())
    return inv.fail("specify a Compose file (with --compose-file)");
  // Everything is read and converted before the first request.
  auto cfg = compose::load(o.files, inv.ctx().lookup_env);
  if (!cfg)
    return inv.fail(cfg.error().message);
  print_ignored(inv, *cfg);
  auto objs = compose::convert(*cfg, stack);
  if (!objs)
    return inv.fail(objs.error().message);
  auto& ri = o.resolve_image;
  if (ri != "always" && ri != "changed" && ri != "never")
    return inv.fail("invalid option " + ri + " for flag --resolve-image");
  if (o.detach && !detach_given)
    inv.err() << "Since --detach=false was not specified, tasks will be "
                 "created in the background.\n"
                 "In a future release, --detach=false will become the "
                 "default.\n";
  if (!is_manager(inv))
    return 1;
  if (o.prune && !prune(inv, stack, *objs))
    return inv.fail("failed to prune the services of stack " + stack);
  std::map<std::string, std::string> net_ids;
  std::vector<deployed> services;
  if (!deploy_networks(inv, stack, *objs, net_ids)
      || !deploy_services(inv, stack, *objs, net_ids, services))
    return 1;
  if (o.detach)
    return 0;
  int rc = 0;
  for (const auto& s : services)
    if (wait_converged(inv, s.id, s.global, s.replicas, o.quiet) != 0)
      rc = 1;
  return rc;
}

} // namespace actorswarm::cli
