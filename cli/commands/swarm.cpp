// `actorswarm swarm init|join|join-token|update|leave` and `actorswarm info`
// (unlock and unlock-key: swarm_lock.cpp; ca: swarm_ca.cpp).
//
// Reply fields the CLI reads (the control actor fills them):
// - swarm init: info.node_id, info.node_addr (host:port workers join),
//   cluster.join_tokens.worker (or text as the worker token).
// - swarm join: info.is_manager. join-token: text (the token, else
//   cluster.join_tokens) and info.node_addr.

#include <cstdint>
#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/service_spec.hpp"
#include "cli/units.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

struct swarm_opts {
  std::string advertise_addr;
  std::string listen_addr;
  std::string strategy;
  bool force = false;
  std::string token;
  bool quiet = false;
  bool rotate = false;
  std::string task_history_limit;
  std::string max_replicas;
  std::string election_tick;
  std::string heartbeat_tick;
  bool autolock_init = false;
  std::string autolock; // update: "" unset, else the flag's value
  std::string cert_expiry;
  std::vector<std::string> addr_pools; // --default-addr-pool
  std::string addr_pool_mask_length;   // uint
  std::string data_path_port;          // uint
  std::vector<std::string> args;
};

/// Go's strconv.ParseBool, as pflag parses `--autolock=<value>`.
result<bool> parse_bool(const std::string& flag, const std::string& x) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (x == t)
      return true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (x == f)
      return false;
  return bad_flag(flag, x,
                  "strconv.ParseBool: parsing \"" + x + "\": invalid syntax");
}

std::string join_block(const std::string& role, const std::string& token,
                       const std::string& addr) {
  return "To add a " + role
         + " to this swarm, run the following command:\n\n    actorswarm "
           "swarm join --token "
         + token + " " + addr + "\n\n";
}

int swarm_init(invocation& inv, const CLI::App* app, const swarm_opts& o) {
  pb::ControlRequest req;
  auto* init = req.mutable_swarm_init();
  init->set_advertise_addr(o.advertise_addr);
  init->set_listen_addr(o.listen_addr);
  init->set_force_new_cluster(o.force);
  init->set_autolock(o.autolock_init);
  for (const auto& p : o.addr_pools)
    init->add_default_addr_pool(p);
  // Docker's Uint32Var flags; their ranges are the daemon's to check.
  uint64_t mask = 0, port = 0;
  for (auto st :
       {parse_into("--default-addr-pool-mask-length", o.addr_pool_mask_length,
                   parse_uint, mask),
        parse_into("--data-path-port", o.data_path_port, parse_uint, port)})
    if (!st)
      return usage_error(inv, app, st.error().message);
  if (mask > UINT32_MAX || port > UINT32_MAX)
    return usage_error(inv, app,
                       mask > UINT32_MAX
                         ? flag_error("--default-addr-pool-mask-length",
                                      o.addr_pool_mask_length,
                                      "value out of range")
                         : flag_error("--data-path-port", o.data_path_port,
                                      "value out of range"));
  init->set_subnet_size(static_cast<uint32_t>(mask));
  init->set_data_path_port(static_cast<uint32_t>(port));
  if (!o.strategy.empty()) {
    auto st = parse_strategy("--scheduler-strategy", o.strategy);
    if (!st)
      return usage_error(inv, app, st.error().message);
    init->set_scheduler_strategy(*st);
  }
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  const auto& info = reply->info();
  auto token = reply->cluster().join_tokens().worker();
  if (token.empty())
    token = reply->text();
  inv.out()
    << "Swarm initialized: current node (" << info.node_id()
    << ") is now a manager.\n\n"
    << join_block("worker", token, info.node_addr())
    << "To add a manager to this swarm, run 'actorswarm swarm join-token "
       "manager' and follow the instructions.\n\n";
  if (!reply->unlock_key().empty())
    inv.out() << docker_text::unlock_key_instructions(reply->unlock_key());
  return 0;
}

int swarm_join(invocation& inv, const CLI::App* app, const swarm_opts& o) {
  if (o.args.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  if (o.token.empty())
    return usage_error(inv, app, "flag needs an argument: --token");
  pb::ControlRequest req;
  auto* j = req.mutable_swarm_join();
  j->set_token(o.token);
  j->set_remote_addr(o.args[0]);
  j->set_advertise_addr(o.advertise_addr);
  j->set_listen_addr(o.listen_addr);
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  inv.out() << "This node joined a swarm as a "
            << (reply->info().is_manager() ? "manager" : "worker") << ".\n";
  return 0;
}

int join_token(invocation& inv, const CLI::App* app, const swarm_opts& o) {
  if (o.args.size() != 1 || (o.args[0] != "worker" && o.args[0] != "manager"))
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument "
                           "(worker or manager).");
  bool manager = o.args[0] == "manager";
  pb::ControlRequest req;
  req.mutable_join_token()->set_role(manager ? pb::NodeSpec::MANAGER
                                             : pb::NodeSpec::WORKER);
  req.mutable_join_token()->set_rotate(o.rotate);
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  auto token = reply->text();
  if (token.empty())
    token = manager ? reply->cluster().join_tokens().manager()
                    : reply->cluster().join_tokens().worker();
  if (o.quiet) {
    inv.out() << token << '\n';
    return 0;
  }
  if (o.rotate)
    inv.out() << "Successfully rotated " << o.args[0] << " join token.\n\n";
  inv.out() << join_block(o.args[0], token, reply->info().node_addr());
  return 0;
}

int swarm_update(invocation& inv, const CLI::App* app, const swarm_opts& o) {
  pb::ControlRequest req;
  auto* u = req.mutable_swarm_update();
  if (!o.strategy.empty()) {
    auto st = parse_strategy("--scheduler-strategy", o.strategy);
    if (!st)
      return usage_error(inv, app, st.error().message);
    u->set_set_scheduler_strategy(true);
    u->set_scheduler_strategy(*st);
  }
  struct {
    const char* flag;
    const std::string& value;
    std::function<void(uint64_t)> set;
  } nums[] = {
    {"--task-history-limit", o.task_history_limit,
     [u](uint64_t v) {
       u->set_set_task_history_limit(true);
       u->set_task_history_limit(v);
     }},
    {"--max-replicas-per-service", o.max_replicas,
     [u](uint64_t v) {
       u->set_set_max_replicas_per_service(true);
       u->set_max_replicas_per_service(v);
     }},
    {"--election-tick", o.election_tick,
     [u](uint64_t v) {
       u->set_set_election_tick(true);
       u->set_election_tick(static_cast<uint32_t>(v));
     }},
    {"--heartbeat-tick", o.heartbeat_tick,
     [u](uint64_t v) {
       u->set_set_heartbeat_tick(true);
       u->set_heartbeat_tick(static_cast<uint32_t>(v));
     }},
  };
  for (const auto& n : nums) {
    if (n.value.empty())
      continue;
    auto v = parse_uint(n.value);
    if (!v)
      return usage_error(inv, app,
                         flag_error(n.flag, n.value, v.error().message));
    n.set(*v);
  }
  if (!o.autolock.empty()) {
    auto on = parse_bool("--autolock", o.autolock);
    if (!on)
      return usage_error(inv, app, on.error().message);
    u->set_set_autolock(true);
    u->set_autolock(*on);
  }
  if (!o.cert_expiry.empty())
    if (auto ok = set_cert_expiry(*u, o.cert_expiry); !ok)
      return usage_error(inv, app, ok.error().message);
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  inv.out() << "Swarm updated.\n";
  // Autolock just turned on: the key to keep (docker/cli's update.go).
  if (!reply->unlock_key().empty())
    inv.out() << docker_text::unlock_key_instructions(reply->unlock_key());
  return 0;
}

int swarm_leave(invocation& inv, const swarm_opts& o) {
  pb::ControlRequest req;
  req.mutable_swarm_leave()->set_force(o.force);
  if (!inv.call(req))
    return 1;
  inv.out() << "Node left the swarm.\n";
  return 0;
}

} // namespace

void add_swarm_commands(CLI::App& root, invocation& inv) {
  if (auto* sw = add_noun(root, "swarm", "Manage Swarm", inv)) {
    auto o = std::make_shared<swarm_opts>();
    add_leaf(
      *sw, "init", "Initialize a swarm", inv,
      [&inv, o](const CLI::App* a) { return swarm_init(inv, a, *o); },
      [o](CLI::App* init) {
        init->add_option("--advertise-addr", o->advertise_addr,
                         "Advertised address");
        init->add_option("--listen-addr", o->listen_addr,
                         "Listen address (host:port)");
        init->add_option("--scheduler-strategy", o->strategy,
                         "Scheduling strategy (spread|binpack|random)");
        init->add_flag("--force-new-cluster", o->force,
                       "Force create a new cluster from current state");
        init->add_flag("--autolock", o->autolock_init,
                       "Enable manager autolocking (requiring an unlock key "
                       "to start a stopped manager)");
        add_repeated(init, "--default-addr-pool", o->addr_pools,
                     "default address pool in CIDR format");
        refuse_empty(init->add_option("--default-addr-pool-mask-length",
                                      o->addr_pool_mask_length,
                                      "default address pool subnet mask "
                                      "length (default 24)"),
                     parse_uint);
        refuse_empty(init->add_option("--data-path-port", o->data_path_port,
                                      "Port number to use for data path "
                                      "traffic (1024 - 49151, default 4789)"),
                     parse_uint);
      });
    add_leaf(
      *sw, "join", "Join a swarm as a node and/or manager", inv,
      [&inv, o](const CLI::App* a) { return swarm_join(inv, a, *o); },
      [o](CLI::App* join) {
        join->add_option("--token", o->token, "Token for entry into the swarm");
        join->add_option("--advertise-addr", o->advertise_addr,
                         "Advertised address");
        join->add_option("--listen-addr", o->listen_addr,
                         "Listen address (host:port)");
        join->add_option("HOST:PORT", o->args, "A manager's address");
      });
    add_leaf(
      *sw, "join-token", "Manage join tokens", inv,
      [&inv, o](const CLI::App* a) { return join_token(inv, a, *o); },
      [o](CLI::App* jt) {
        jt->add_flag("-q,--quiet", o->quiet, "Only display token");
        jt->add_flag("--rotate", o->rotate, "Rotate join token");
        jt->add_option("(worker|manager)", o->args, "Role");
      });
    add_leaf(
      *sw, "update", "Update the swarm", inv,
      [&inv, o](const CLI::App* a) { return swarm_update(inv, a, *o); },
      [o](CLI::App* up) {
        up->add_option("--scheduler-strategy", o->strategy,
                       "Scheduling strategy (spread|binpack|random)");
        refuse_empty(up->add_option("--task-history-limit",
                                    o->task_history_limit,
                                    "Task history retention limit"),
                     parse_uint);
        refuse_empty(
          up->add_option("--max-replicas-per-service", o->max_replicas,
                         "Most replicas one service may have (default 100000)"),
          parse_uint);
        refuse_empty(up->add_option("--election-tick", o->election_tick,
                                    "Raft election timeout in ticks"),
                     parse_uint);
        refuse_empty(up->add_option("--heartbeat-tick", o->heartbeat_tick,
                                    "Raft heartbeat interval in ticks"),
                     parse_uint);
        up->add_flag("--autolock{true}", o->autolock,
                     "Change manager autolocking setting (true|false)");
        refuse_empty(up->add_option("--cert-expiry", o->cert_expiry,
                                    "Validity period for node certificates "
                                    "(ns|us|ms|s|m|h) (default 2160h0m0s)"),
                     parse_duration_ns);
      });
    add_leaf(
      *sw, "leave", "Leave the swarm", inv,
      [&inv, o](const CLI::App*) { return swarm_leave(inv, *o); },
      [o](CLI::App* leave) {
        leave->add_flag(
          "-f,--force", o->force,
          "Force this node to leave the swarm, ignoring warnings");
      });
    add_swarm_lock_commands(*sw, inv);
    add_swarm_ca_command(*sw, inv);
  }
  add_leaf(root, "info", "Display system-wide information", inv,
           [&inv](const CLI::App*) { return info_command(inv); });
}

} // namespace actorswarm::cli
