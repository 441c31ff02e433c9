// `actorswarm service create [OPTIONS] IMAGE [COMMAND] [ARG...]`.

#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/service_spec.hpp"

namespace actorswarm::cli {

namespace {

struct create_opts {
  service_create_flags f;
  bool detach = false;
  bool quiet = false;
};

void add_create_flags(CLI::App* c, create_opts& o) {
  auto& f = o.f;
  c->add_option("--name", f.name, "Service name");
  c->add_option("--mode", f.mode, "Service mode (replicated|global)");
  refuse_empty(c->add_option("--replicas", f.replicas, "Number of tasks"),
               parse_uint);
  add_restart_flags(c, f);
  add_repeated(c, "--constraint", f.constraints, "Placement constraints");
  add_repeated(c, "--placement-pref", f.placement_prefs,
               "Add a placement preference (spread=node.labels.X)");
  refuse_empty(
    c->add_option("--replicas-max-per-node", f.replicas_max_per_node,
                  "Maximum number of tasks per node (0 = unlimited)"),
    parse_uint);
  refuse_empty(c->add_option("--reserve-cpu", f.reserve_cpu, "Reserve CPUs"),
               parse_nano_cpus);
  refuse_empty(c->add_option("--reserve-memory", f.reserve_memory,
                             "Reserve Memory"),
               parse_ram_bytes);
  refuse_empty(c->add_option("--limit-cpu", f.limit_cpu, "Limit CPUs"),
               parse_nano_cpus);
  refuse_empty(c->add_option("--limit-memory", f.limit_memory, "Limit Memory"),
               parse_ram_bytes);
  add_repeated(c, "-e,--env", f.env, "Set environment variables");
  c->add_option("-w,--workdir", f.workdir, "Working directory");
  add_repeated(c, "-l,--label", f.labels, "Service labels");
  refuse_empty(c->add_option("--stop-grace-period", f.stop_grace_period,
                             "Time to wait before force killing a task"),
               parse_duration_ns);
  c->add_option("--placement-strategy", f.placement_strategy,
                "Scheduling strategy (spread|binpack|random)");
  c->add_option("-u,--user", f.user,
                "Username or UID (format: <name|uid>[:<group|gid>])");
  add_repeated(c, "--cap-add", f.cap_add, "Add Linux capabilities");
  add_repeated(c, "--cap-drop", f.cap_drop, "Drop Linux capabilities");
  add_repeated(c, "--network", f.networks,
               "Network attachments (NAME or name=N,alias=A)");
  add_repeated(c, "-p,--publish", f.publish,
               "Publish a port as a node port (P:T[/udp] or "
               "published=P,target=T[,protocol=udp][,mode=host])");
  c->add_option("--endpoint-mode", f.endpoint_mode,
                "Endpoint mode (vip or dnsrr)");
  c->add_option("--hostname", f.hostname, "Container hostname");
  add_update_policy_flags(c, f.policy);
  add_repeated(c, "--mount", f.mounts,
               "Attach a filesystem mount to the service "
               "(type=bind|volume,source=S,target=T[,readonly])");
  add_health_flags(c, f.health);
  c->add_flag(
    "-d,--detach", o.detach,
    "Exit immediately instead of waiting for the service to converge");
  c->add_flag("-q,--quiet", o.quiet, "Suppress progress output");
  c->add_option("IMAGE", f.image, "Image (`host` runs a host process)");
  c->add_option("COMMAND", f.command, "Command and arguments");
  // Docker (SetInterspersed(false)): flags end at IMAGE, so the task's own
  // flags (`python3 -m http.server`) reach COMMAND untouched.
  c->positionals_at_end(true);
}

// The created service's id: the reply's first id, else its text.
std::string created_id(const pb::ControlReply& reply) {
  if (!reply.ids().empty())
    return reply.ids(0);
  if (!reply.services().empty())
    return reply.services(0).service().id();
  return reply.text();
}

int create(invocation& inv, const CLI::App* app, const create_opts& o) {
  if (o.f.image.empty())
    return require_args(inv, app, 0, 1);
  auto spec = build_service_spec(o.f);
  if (!spec)
    return usage_error(inv, app, spec.error().message);
  pb::ControlRequest req;
  *req.mutable_service_create()->mutable_spec() = *spec;
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  auto id = created_id(*reply);
  inv.out() << id << '\n';
  if (o.detach)
    return 0;
  bool global = spec->mode() == pb::ServiceSpec::GLOBAL;
  return wait_converged(inv, id, global, spec->replicas(), o.quiet);
}

} // namespace

void add_service_create(CLI::App& service, invocation& inv) {
  auto o = std::make_shared<create_opts>();
  add_leaf(
    service, "create", "Create a new service", inv,
    [&inv, o](const CLI::App* a) { return create(inv, a, *o); },
    [o](CLI::App* app) { add_create_flags(app, *o); });
}

} // namespace actorswarm::cli
