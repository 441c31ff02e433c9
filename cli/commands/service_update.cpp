// `actorswarm service update [OPTIONS] SERVICE`: reads the service (its spec
// and version), applies the flags (cli/service_update.hpp) and sends a
// ServiceUpdateRequest naming the version it read, so a concurrent change is
// refused as out of sequence instead of being overwritten. Without --detach
// it follows the rolling update (wait_updated). `service update --rollback`
// and `actorswarm service rollback SERVICE` send the request with rollback
// set, and follow the rollback the same way.

#include <memory>
#include <optional>

#include "cli/commands/commands.hpp"
#include "cli/service_update.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

struct update_opts {
  service_update_flags f;
  bool rollback = false; ///< --rollback: back to the previous spec
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
  add_update_policy_flags(c, f.policy);
  c->add_flag("--rollback", o.rollback, "Rollback to previous specification");
  add_repeated(c, "--mount-add", f.mount_add,
               "Add or update a mount on a service");
  add_repeated(c, "--mount-rm", f.mount_rm,
               "Remove a mount by its target path");
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

// The service `ref` names, or nullopt after printing why not.
std::optional<pb::Service> read_service(invocation& inv,
                                        const std::string& ref) {
  pb::ControlRequest read;
  read.mutable_service_inspect()->add_refs(ref);
  auto found = inv.call(read);
  if (!found)
    return std::nullopt;
  if (found->services().empty()) {
    inv.fail("Error: no such service: " + ref);
    return std::nullopt;
  }
  return found->services(0).service();
}

int require_one(invocation& inv, const CLI::App* app,
                const std::vector<std::string>& refs) {
  if (refs.size() == 1)
    return 0;
  return usage_error(inv, app,
                     "\"" + command_path(app)
                       + "\" requires exactly 1 argument.");
}

// docker's `service rollback` and `service update --rollback`: the daemon
// restores the previous spec (the spec sent is the one read, and ignored).
int rollback(invocation& inv, const std::string& ref, bool detach, bool quiet) {
  auto svc = read_service(inv, ref);
  if (!svc)
    return 1;
  pb::ControlRequest req;
  auto* u = req.mutable_service_update();
  u->set_ref(svc->id());
  u->set_version(svc->meta().version());
  *u->mutable_spec() = svc->spec();
  u->set_rollback(true);
  if (!inv.call(req))
    return 1;
  inv.out() << ref << '\n';
  if (detach)
    return 0;
  output::update_wait_config cfg;
  cfg.ref = ref;
  cfg.baseline = svc->update_status();
  cfg.rollback = true;
  return wait_updated(inv, svc->id(), std::move(cfg), quiet);
}

int update(invocation& inv, const CLI::App* app, const update_opts& o) {
  if (require_one(inv, app, o.refs) != 0)
    return 1;
  if (o.rollback) {
    // docker: --rollback goes with --detach and --quiet only.
    if (!update_is_empty(o.f) || o.f.force)
      return inv.fail("other flags may not be combined with --rollback");
    return rollback(inv, o.refs[0], o.detach, o.quiet);
  }
  // Bad values are found before anything is sent: apply to a scratch spec.
  pb::ServiceSpec scratch;
  if (auto st = apply_service_update(o.f, scratch); !st)
    return usage_error(inv, app, st.error().message);
  if (update_is_empty(o.f) && !o.f.force)
    return usage_error(inv, app,
                       "nothing to update: give at least one flag "
                       "that changes the service, or --force");
  auto svc = read_service(inv, o.refs[0]);
  if (!svc)
    return 1;
  pb::ControlRequest req;
  auto* u = req.mutable_service_update();
  u->set_ref(svc->id());
  u->set_version(svc->meta().version());
  *u->mutable_spec() = svc->spec();
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
  output::update_wait_config cfg;
  cfg.ref = o.refs[0];
  cfg.baseline = svc->update_status();
  cfg.force = o.f.force;
  return wait_updated(inv, svc->id(), std::move(cfg), o.quiet);
}

} // namespace

void add_service_update(CLI::App& service, invocation& inv) {
  auto o = std::make_shared<update_opts>();
  add_leaf(
    service, "update", "Update a service", inv,
    [&inv, o](const CLI::App* a) { return update(inv, a, *o); },
    [o](CLI::App* app) { add_update_flags(app, *o); });
  auto r = std::make_shared<update_opts>();
  add_leaf(
    service, "rollback", "Revert changes to a service's configuration", inv,
    [&inv, r](const CLI::App* a) {
      if (require_one(inv, a, r->refs) != 0)
        return 1;
      return rollback(inv, r->refs[0], r->detach, r->quiet);
    },
    [r](CLI::App* app) {
      app->add_flag(
        "-d,--detach", r->detach,
        "Exit immediately instead of waiting for the service to converge");
      app->add_flag("-q,--quiet", r->quiet, "Suppress progress output");
      app->add_option("SERVICE", r->refs, "Service");
    });
}

} // namespace actorswarm::cli
