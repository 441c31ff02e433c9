// `actorswarm service update [OPTIONS] SERVICE`: reads the service (its spec
// and version), applies the flags (cli/service_update.hpp) and sends a
// ServiceUpdateRequest naming the version it read, so a concurrent change is
// refused as out of sequence instead of being overwritten.

#include <memory>
#include <optional>

#include "cli/commands/commands.hpp"
#include "cli/service_update.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

struct update_opts {
  service_update_flags f;
  bool detach = false;
  bool quiet = false;
  std::vector<std::string> refs;
};

void add_update_flags(CLI::App* c, update_opts& o) {
  auto& f = o.f;
  refuse_empty(c->add_option("--replicas", f.replicas, "Number of tasks"),
               parse_uint);
  c->add_option("--image", f.image, "Service image tag (`host`)");
  c->add_option("--args", f.args, "Service command args (shell words)");
  add_repeated(c, "--env-add", f.env_add,
               "Add or update an environment variable");
  add_repeated(c, "--env-rm", f.env_rm, "Remove an environment variable");
  add_repeated(c, "--label-add", f.label_add, "Add or update a service label");
  add_repeated(c, "--label-rm", f.label_rm, "Remove a label by its key");
  add_repeated(c, "--constraint-add", f.constraint_add,
               "Add or update a placement constraint");
  add_repeated(c, "--constraint-rm", f.constraint_rm, "Remove a constraint");
  add_repeated(c, "--placement-pref-add", f.placement_pref_add,
               "Add a placement preference (spread=node.labels.X)");
  add_repeated(c, "--placement-pref-rm", f.placement_pref_rm,
               "Remove a placement preference");
  refuse_empty(
    c->add_option("--replicas-max-per-node", f.replicas_max_per_node,
                  "Maximum number of tasks per node (0 = unlimited)"),
    parse_uint);
  c->add_option("--placement-strategy", f.placement_strategy,
                "Scheduling strategy (spread|binpack|random)");
  refuse_empty(c->add_option("--limit-cpu", f.limit_cpu,
                             "Limit CPUs (0 removes the limit)"),
               parse_nano_cpus);
  refuse_empty(c->add_option("--limit-memory", f.limit_memory,
                             "Limit Memory (0 removes)"),
               parse_ram_bytes);
  refuse_empty(c->add_option("--reserve-cpu", f.reserve_cpu, "Reserve CPUs"),
               parse_nano_cpus);
  refuse_empty(c->add_option("--reserve-memory", f.reserve_memory,
                             "Reserve Memory"),
               parse_ram_bytes);
  add_restart_flags(c, f);
  refuse_empty(c->add_option("--stop-grace-period", f.stop_grace_period,
                             "Time to wait before force killing a task"),
               parse_duration_ns);
  c->add_option("-w,--workdir", f.workdir, "Working directory");
  c->add_option("-u,--user", f.user,
                "Username or UID (format: <name|uid>[:<group|gid>])");
  add_repeated(c, "--cap-add", f.cap_add, "Add Linux capabilities");
  add_repeated(c, "--cap-drop", f.cap_drop, "Drop Linux capabilities");
  add_repeated(c, "--network-add", f.network_add,
               "Add a network (NAME or name=N,alias=A)");
  add_repeated(c, "--network-rm", f.network_rm, "Remove a network");
  add_repeated(c, "--publish-add", f.publish_add,
               "Add or update a published port");
  add_repeated(c, "--publish-rm", f.publish_rm,
               "Remove a published port by its target port");
  c->add_option("--endpoint-mode", f.endpoint_mode,
                "Endpoint mode (vip or dnsrr)");
  c->add_option("--hostname", f.hostname, "Container hostname");
  add_health_flags(c, f.health);
  c->add_flag("--force", f.force, "Force update even if no changes require it");
  c->add_flag(
    "-d,--detach", o.detach,
    "Exit immediately instead of waiting for the service to converge");
  c->add_flag("-q,--quiet", o.quiet, "Suppress progress output");
  c->add_option("SERVICE", o.refs, "Service");
}

// Network references as docker's updateNetworks resolves them: by name, id
// or unique id prefix, from one `network ls` taken when first needed.
network_resolver network_ids(invocation& inv) {
  auto listed = std::make_shared<std::optional<pb::ControlReply>>();
  return [&inv, listed](const std::string& ref) -> result<std::string> {
    if (!*listed) {
      pb::ControlRequest req;
      req.mutable_network_list();
      auto reply = inv.call(req);
      if (!reply)
        return fail(errc::internal, "");
      *listed = std::move(*reply);
    }
    std::vector<std::string> by_prefix;
    for (const auto& n : (*listed)->networks()) {
      if (n.spec().name() == ref || n.id() == ref)
        return n.id();
      if (n.id().rfind(ref, 0) == 0)
        by_prefix.push_back(n.id());
    }
    if (by_prefix.size() == 1)
      return by_prefix[0];
    return fail(errc::not_found, docker_text::network_not_found(ref));
  };
}

int update(invocation& inv, const CLI::App* app, const update_opts& o) {
  if (o.refs.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  // Bad values are found before anything is sent: apply to a scratch spec.
  pb::ServiceSpec scratch;
  if (auto st = apply_service_update(o.f, scratch); !st)
    return usage_error(inv, app, st.error().message);
  if (update_is_empty(o.f) && !o.f.force)
    return usage_error(inv, app,
                       "nothing to update: give at least one flag "
                       "that changes the service, or --force");
  pb::ControlRequest read;
  read.mutable_service_inspect()->add_refs(o.refs[0]);
  auto found = inv.call(read);
  if (!found)
    return 1;
  if (found->services().empty())
    return inv.fail("Error: no such service: " + o.refs[0]);
  const auto& svc = found->services(0).service();
  pb::ControlRequest req;
  auto* u = req.mutable_service_update();
  u->set_ref(svc.id());
  u->set_version(svc.meta().version());
  *u->mutable_spec() = svc.spec();
  if (auto st = apply_service_update(o.f, *u->mutable_spec(), network_ids(inv));
      !st) {
    // A failed `network ls` printed its error already.
    if (st.error().message.empty())
      return 1;
    return inv.fail(docker_text::from_daemon(st.error().message));
  }
  if (!inv.call(req))
    return 1;
  inv.out() << o.refs[0] << '\n';
  if (o.detach)
    return 0;
  const auto& spec = u->spec();
  return wait_converged(inv, svc.id(), spec.mode() == pb::ServiceSpec::GLOBAL,
                        spec.replicas(), o.quiet);
}

} // namespace

void add_service_update(CLI::App& service, invocation& inv) {
  auto o = std::make_shared<update_opts>();
  add_leaf(
    service, "update", "Update a service", inv,
    [&inv, o](const CLI::App* a) { return update(inv, a, *o); },
    [o](CLI::App* app) { add_update_flags(app, *o); });
}

} // namespace actorswarm::cli
