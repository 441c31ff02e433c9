#include "actors/node/node_actor.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <set>

#include "caf/all.hpp"

#include "actors/agent/agent_actor.hpp"
#include "actors/allocator/allocator_actor.hpp"
#include "actors/ca/join_token.hpp"
#include "actors/control/control_actor.hpp"
#include "actors/control/control_logic.hpp"
#include "actors/dispatcher/dispatcher_actor.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/leave.hpp"
#include "actors/node/membership.hpp"
#include "actors/orchestrator/orchestrator_actor.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/store/store_actor.hpp"
#include "messages/caf_error.hpp"
#include "messages/ids.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/cert_authority.hpp"
#include "net/raft_transport.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

constexpr auto store_timeout = std::chrono::seconds(30);

struct node_state {
  persistence::data_dir* dir = nullptr;
  node_config cfg;
  clock* clk = nullptr;
  identity id;
  caf::actor control, store, allocator, scheduler, orchestrator, dispatcher,
    agent, transport;
  // `swarm leave --force` in progress: its reply, the components whose down
  // message it awaits, the task processes it stops and its checks so far.
  bool leaving = false;
  caf::response_promise leave_rp;
  std::set<caf::actor_addr> stopping;
  std::vector<task::process_record> procs;
  int64_t leave_checks = 0;
  static inline const char* name = "node";
};

using node_actor_t = caf::stateful_actor<node_state>;
using reply_t = caf::result<pb::ControlReply>;

using control::error_reply;

void open_transport(node_actor_t* self);

// Opens the cluster port (once per process) and connects the raft peer to
// the transport. Without CAF's middleman (an embedder that did not load it)
// the manager stays alone in its Raft group.
void start_transport(node_actor_t* self) {
  auto& st = self->state;
  auto& sys = self->system();
  if (!sys.has_middleman())
    return;
  if (!st.transport)
    open_transport(self);
  auto transport = st.transport;
  self->request(st.store, store_timeout, raft_atom::value)
    .then([=](caf::actor& raft) {
      self->send(transport, peers_atom::value, raft);
      self->send(raft, peers_atom::value, transport);
    });
}

// Spawns the transport and publishes it on the cluster port. It outlives a
// `swarm leave` (the port stays open) and serves the next cluster.
void open_transport(node_actor_t* self) {
  auto& st = self->state;
  auto& sys = self->system();
  auto epoch = uint64_t{0};
  while (epoch == 0) {
    auto bytes = net::random_bytes(sizeof(epoch));
    std::memcpy(&epoch, bytes.data(), sizeof(epoch));
  }
  net::raft_transport_config tcfg;
  tcfg.self = {st.id.node_id, st.id.raft_id, epoch};
  st.transport = net::spawn_raft_transport(sys, tcfg);
  self->link_to(st.transport);
  auto colon = st.cfg.listen_addr.rfind(':');
  auto host = st.cfg.listen_addr.substr(0, colon);
  auto port = static_cast<uint16_t>(
    std::stoul(st.cfg.listen_addr.substr(colon + 1)));
  auto bound = net::publish_transport(sys, st.transport, host, port);
  if (!bound)
    logger("node")->error("cluster port not open: {}", bound.error().message);
  else
    logger("node")->info("cluster port open addr={}:{}", host, *bound);
}

// Starts the manager components and the agent, and hands the store to the
// control actor. Each component is linked: if one dies, the node dies, and
// the daemon exits (fail-stop).
void start_components(node_actor_t* self) {
  auto& st = self->state;
  auto& sys = self->system();
  store::store_config scfg;
  scfg.snapshot_interval = st.cfg.snapshot_interval;
  scfg.raft.core.id = st.id.raft_id;
  scfg.raft.tick_ms = st.cfg.tick_ms;
  scfg.raft.seed = st.id.raft_id;
  pb::Member me;
  me.set_raft_id(st.id.raft_id);
  me.set_node_id(st.id.node_id);
  me.set_addr(st.id.addr);
  scfg.raft.bootstrap = {me};
  st.store = store::spawn_store(sys, st.dir->log(), &st.dir->snapshots(), scfg);
  start_transport(self);
  st.allocator = allocator::spawn_allocator(sys, st.store, *st.clk);
  st.scheduler = scheduler::spawn_scheduler(sys, st.store, *st.clk);
  st.orchestrator = orchestrator::spawn_orchestrator(sys, st.store, *st.clk);
  st.dispatcher = dispatcher::spawn_dispatcher(sys, st.store, *st.clk);
  agent::agent_config acfg{st.id.node_id, st.id.hostname, st.id.addr,
                           st.cfg.tasks_dir, st.cfg.cgroup_root};
  st.agent = agent::spawn_agent(sys, st.dispatcher, st.dir->task_records(),
                                acfg, *st.clk);
  for (auto& a : {st.store, st.allocator, st.scheduler, st.orchestrator,
                  st.dispatcher, st.agent})
    self->link_to(a);
  self->send(st.control, manager_atom::value, st.store, st.id.node_id);
  logger("node")->info("manager components started node_id={} cluster_id={}",
                       st.id.node_id, st.id.cluster_id);
}

reply_t swarm_init(node_actor_t* self, const pb::SwarmInitRequest& req) {
  auto& st = self->state;
  if (!st.id.cluster_id.empty())
    return error_reply(fail(errc::already_in_swarm,
                            "This node is already part of a swarm. Use "
                            "\"actorswarm swarm leave\" to leave this swarm "
                            "and join another one."));
  auto addr = advertise_addr(req, st.cfg.listen_addr);
  if (!addr)
    return error_reply(addr.error());
  auto cluster = make_cluster(req, *addr);
  if (!cluster)
    return error_reply(cluster.error());
  st.id.cluster_id = cluster->id();
  st.id.addr = *addr;
  auto batch = init_batch(*cluster, st.id, st.clk->now_ns());
  save_identity(st.dir->node_state(), st.id);
  start_components(self);
  auto rp = self->make_response_promise();
  pb::ControlReply ok = init_reply(*cluster, st.id);
  self->request(st.store, store_timeout, propose_atom::value, batch)
    .then([rp, ok](uint64_t) mutable { rp.deliver(ok); },
          [rp](caf::error& err) mutable {
            rp.deliver(error_reply(to_failure(err)));
          });
  return caf::delegated<pb::ControlReply>{};
}

reply_t join_token(node_actor_t* self, const pb::JoinTokenRequest& req) {
  auto& st = self->state;
  if (st.id.cluster_id.empty())
    return error_reply(not_in_swarm());
  if (!req.rotate()) {
    auto rp = self->make_response_promise();
    self->request(st.store, store_timeout, view_atom::value)
      .then([=](const store_view_ptr& v) mutable {
        rp.deliver(token_reply(v->cluster(), req.role(), st.id.addr));
      });
    return caf::delegated<pb::ControlReply>{};
  }
  auto rp = self->make_response_promise();
  self->request(st.store, store_timeout, view_atom::value)
    .then([=](const store_view_ptr& v) mutable {
      auto c = v->cluster();
      if (!c) {
        rp.deliver(error_reply(not_in_swarm()));
        return;
      }
      auto rotated = rotate_token(*c, req.role());
      auto batch = control::single_action(pb::StoreAction::UPDATE,
                                          st.clk->now_ns());
      *batch.mutable_actions(0)->mutable_cluster() = rotated;
      auto reply = token_reply(std::make_shared<const pb::Cluster>(rotated),
                               req.role(), st.id.addr);
      reply.set_warning("Successfully rotated "
                        + std::string{req.role() == pb::NodeSpec::MANAGER
                                        ? "manager"
                                        : "worker"}
                        + " join token.");
      self->request(st.store, store_timeout, propose_atom::value, batch)
        .then([rp, reply](uint64_t) mutable { rp.deliver(reply); },
              [rp](caf::error& err) mutable {
                rp.deliver(error_reply(to_failure(err)));
              });
    });
  return caf::delegated<pb::ControlReply>{};
}

// Last step of a leave: the processes are gone (or got SIGKILL); wipe the
// swarm state, forget the cluster and answer.
void finish_leave(node_actor_t* self) {
  auto& st = self->state;
  wipe_swarm_state(*st.dir);
  st.id = load_identity(st.dir->node_state(), st.cfg.hostname);
  st.leaving = false;
  st.procs.clear();
  logger("node")->info("left the swarm node_id={}", st.id.node_id);
  pb::ControlReply ok;
  ok.set_text("Node left the swarm.");
  st.leave_rp.deliver(ok);
}

// Every leave_check_interval_ms until the stopped task processes are gone;
// SIGKILL for what outlives the stop grace period.
void check_stopped(node_actor_t* self) {
  auto& st = self->state;
  st.procs = still_alive(st.procs);
  if (!st.procs.empty()
      && st.leave_checks * leave_check_interval_ms < leave_stop_grace_ms) {
    ++st.leave_checks;
    self->delayed_send(self,
                       std::chrono::milliseconds(leave_check_interval_ms),
                       kill_atom::value);
    return;
  }
  if (!st.procs.empty()) {
    logger("node")->warn("{} task processes outlived the stop grace period, "
                         "sending SIGKILL", st.procs.size());
    signal_groups(st.procs, SIGKILL);
  }
  finish_leave(self);
}

// The components are gone: nobody restarts a task any more. Stop them.
void components_gone(node_actor_t* self) {
  auto& st = self->state;
  st.procs = live_task_processes(st.dir->task_records());
  logger("node")->info("leaving the swarm: stopping {} task processes",
                       st.procs.size());
  signal_groups(st.procs, SIGTERM);
  st.leave_checks = 0;
  check_stopped(self);
}

// Unlinks and stops the manager components and the agent (and the raft
// peer, which dies with the store); components_gone once all are down.
void stop_components(node_actor_t* self, const caf::actor& raft) {
  auto& st = self->state;
  self->send(st.control, manager_atom::value, caf::actor{}, std::string{});
  for (auto* h : {&st.agent, &st.dispatcher, &st.orchestrator, &st.scheduler,
                  &st.allocator, &st.store}) {
    auto a = std::exchange(*h, caf::actor{});
    if (!a)
      continue;
    self->unlink_from(a);
    self->monitor(a);
    st.stopping.insert(a.address());
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  if (raft) {
    self->monitor(raft);
    st.stopping.insert(raft.address());
  }
  if (st.stopping.empty())
    components_gone(self);
}

reply_t swarm_leave(node_actor_t* self, bool force) {
  auto& st = self->state;
  if (st.leaving)
    return error_reply(fail(errc::refused, "this node is leaving the swarm"));
  if (auto refusal = leave_refusal(st.id, force))
    return error_reply(*refusal);
  st.leaving = true;
  st.leave_rp = self->make_response_promise();
  self->request(st.store, store_timeout, raft_atom::value)
    .then([=](caf::actor& raft) { stop_components(self, raft); },
          [=](caf::error&) { stop_components(self, caf::actor{}); });
  return caf::delegated<pb::ControlReply>{};
}

reply_t handle(node_actor_t* self, const pb::ControlRequest& req) {
  auto& st = self->state;
  using R = pb::ControlRequest;
  switch (req.request_case()) {
    case R::kInfo: {
      pb::ControlReply out;
      *out.mutable_info() = identity_info(st.id, st.dir->path());
      return out;
    }
    case R::kSwarmInit:
      return swarm_init(self, req.swarm_init());
    case R::kJoinToken:
      return join_token(self, req.join_token());
    case R::kSwarmJoin:
      return error_reply(st.id.cluster_id.empty()
                           ? fail(errc::refused,
                                  "joining an existing swarm needs manager "
                                  "replication, which this build does not "
                                  "have yet (issue #3)")
                           : fail(errc::already_in_swarm,
                                  "This node is already part of a swarm. Use "
                                  "\"actorswarm swarm leave\" to leave this "
                                  "swarm and join another one."));
    case R::kSwarmLeave:
      return swarm_leave(self, req.swarm_leave().force());
    case R::kNodeRole:
    case R::kNodeRemove:
      return error_reply(node_change_refusal(st.id, req));
    default:
      return error_reply(fail(errc::bad_request, "unknown request"));
  }
}

caf::behavior node_behavior(node_actor_t* self, persistence::data_dir* dir,
                            node_config cfg, clock* clk) {
  auto& st = self->state;
  st.dir = dir;
  st.cfg = std::move(cfg);
  st.clk = clk;
  st.id = load_identity(dir->node_state(), st.cfg.hostname);
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    if (st.stopping.erase(msg.source) > 0 && st.stopping.empty()
        && st.leaving)
      components_gone(self);
  });
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    // A component stopped by a leave may have exited before the unlink.
    if (self->state.leaving && msg.reason == caf::exit_reason::user_shutdown)
      return;
    if (msg.reason && msg.reason != caf::exit_reason::user_shutdown) {
      logger("node")->critical("a component died: {}",
                               caf::to_string(msg.reason));
      if (self->state.cfg.on_fatal)
        self->state.cfg.on_fatal();
    }
    self->quit(msg.reason);
  });
  return {
    [=](start_atom) {
      if (!self->state.id.cluster_id.empty())
        start_components(self);
    },
    [=](control_atom, const pb::ControlRequest& req) -> reply_t {
      return handle(self, req);
    },
    [=](caf::actor& control) { self->state.control = std::move(control); },
    [=](kill_atom) {
      if (self->state.leaving && self->state.stopping.empty())
        check_stopped(self);
    },
    // Embedders (include/actorswarm/embed.hpp) watch the store through the
    // node: the store exists from start or swarm init on, so no race.
    [=](subscribe_atom, caf::actor& who) -> caf::result<store_view_ptr> {
      if (!self->state.store)
        return make_error(not_in_swarm());
      self->delegate(self->state.store, subscribe_atom::value, std::move(who));
      return caf::delegated<store_view_ptr>{};
    },
  };
}

} // namespace

std::pair<caf::actor, caf::actor>
spawn_node(caf::actor_system& sys, persistence::data_dir& dir,
           node_config cfg, clock& clk) {
  if (cfg.tasks_dir.empty())
    cfg.tasks_dir = dir.path() + "/tasks";
  auto node = sys.spawn(node_behavior, &dir, std::move(cfg), &clk);
  auto control = control::spawn_control(sys, node, clk);
  caf::anon_send(node, control);
  caf::anon_send(node, start_atom::value);
  return {node, control};
}

} // namespace actorswarm::node
