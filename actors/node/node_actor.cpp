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
#include "actors/dispatcher/agent_server_actor.hpp"
#include "actors/dispatcher/dispatcher_actor.hpp"
#include "actors/dispatcher/dispatcher_proxy_actor.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/leave.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/node_state_actor.hpp"
#include "actors/orchestrator/orchestrator_actor.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/store/store_actor.hpp"
#include "messages/caf_error.hpp"
#include "messages/docker_text.hpp"
#include "messages/ids.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/cert_authority.hpp"
#include "net/cluster_transport.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;



// Opens the cluster port (once per process), connects the store's raft peer
// to the transport and serves join requests. Without CAF's middleman (an
// embedder that did not load it) the manager stays alone in its group.
void start_transport(node_actor_t* self) {
  auto& st = self->state;
  if (!self->system().has_middleman())
    return;
  if (!st.transport)
    open_transport(self);
  self->send(st.transport, cluster_raft_id_atom::value, st.id.raft_id);
  // TODO(i7-merge): the node holds the store and transport untyped.
  self->send(st.store, store_connect_atom::value,
             caf::actor_cast<net::cluster_transport_actor_type>(st.transport));
}

constexpr auto status_publish_interval = std::chrono::milliseconds(500);

// While this manager leads: every status_publish_interval it stores the
// managers' leader flag and reachability where they changed (SwarmKit's
// leader does the same), so every manager shows the leader's view.
void publish_manager_status(node_actor_t* self) {
  auto& st = self->state;
  if (!st.store || !st.orchestrator || st.leaving || st.on_stopped) {
    st.publishing_status = false;
    return;
  }
  auto store = st.store;
  auto again = [self] {
    after(self, status_publish_interval,
          [self] { publish_manager_status(self); });
  };
  self->request(store, store_timeout, raft_status_atom::value)
    .then(
      [=](const raft::raft_status_ptr& s) {
        if (!s || !s->is_leader) {
          self->state.publishing_status = false;
          return;
        }
        self->request(store, store_timeout, view_atom::value)
          .then(
            [=](const store_view_ptr& v) {
              std::vector<std::shared_ptr<const pb::Node>> nodes;
              for (const auto& [id, n] : v->nodes())
                nodes.push_back(n);
              auto& st = self->state;
              auto c = v->cluster();
              auto period = c ? c->spec().dispatcher_heartbeat_ns() : 0;
              auto down_after = 3 * (period > 0 ? period : 5'000'000'000);
              auto xs = manager_status_updates(nodes, *s,
                                               st.unreachable_since,
                                               st.clk->now_ns(), down_after);
              if (xs.empty()) {
                again();
                return;
              }
              pb::StoreBatch b;
              b.set_proposed_at_ns(self->state.clk->now_ns());
              for (auto& n : xs) {
                auto* a = b.add_actions();
                a->set_kind(pb::StoreAction::UPDATE);
                *a->mutable_node() = std::move(n);
              }
              self->request(store, store_timeout, propose_atom::value, b)
                .then([=](uint64_t) { again(); },
                      [=](caf::error&) { again(); });
            },
            [=](caf::error&) { again(); });
      },
      [=](caf::error&) { again(); });
}

// The leader runs the allocator, scheduler and orchestrator; a follower
// runs none (SwarmKit's leadership-driven managers): they start when this
// manager becomes leader and stop when it steps down.
void on_leader(node_actor_t* self, const raft::raft_status_ptr& x) {
  auto& st = self->state;
  if (!st.store || st.leaving || st.on_stopped)
    return;
  auto& sys = self->system();
  if (x->is_leader && !st.orchestrator) {
    // TODO(i7-merge): the node holds these handles untyped.
    auto store = caf::actor_cast<store::store_actor_type>(st.store);
    st.allocator = caf::actor_cast<caf::actor>(
      allocator::spawn_allocator(sys, store, *st.clk));
    st.scheduler = caf::actor_cast<caf::actor>(
      scheduler::spawn_scheduler(sys, store, *st.clk));
    st.orchestrator = caf::actor_cast<caf::actor>(
      orchestrator::spawn_orchestrator(sys, store, *st.clk));
    for (auto& a : {st.allocator, st.scheduler, st.orchestrator})
      self->link_to(a);
    logger("node")->info("leading: allocator, scheduler and orchestrator "
                         "started term={}", x->term);
    if (!st.publishing_status) {
      st.publishing_status = true;
      publish_manager_status(self);
    }
  } else if (!x->is_leader && st.orchestrator) {
    for (auto* h : {&st.allocator, &st.scheduler, &st.orchestrator}) {
      auto a = std::exchange(*h, caf::actor{});
      self->unlink_from(a);
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    logger("node")->info("following: allocator, scheduler and orchestrator "
                         "stopped term={}", x->term);
  }
}

} // namespace

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
  net::cluster_transport_config tcfg;
  tcfg.self = {st.id.node_id, st.id.raft_id, epoch};
  auto transport = net::spawn_cluster_transport(sys, tcfg);
  st.transport = caf::actor_cast<caf::actor>(transport);  // TODO(i7-merge)
  self->link_to(st.transport);
  for (auto k : {pb::Envelope::JOIN, pb::Envelope::CONTROL,
                 pb::Envelope::ROLE})
    self->send(st.transport, serve_atom::value, static_cast<int32_t>(k),
               // TODO(i7-merge): the node's typed handle.
               caf::actor_cast<net::cluster_server_actor_type>(self));
  auto colon = st.cfg.listen_addr.rfind(':');
  auto host = st.cfg.listen_addr.substr(0, colon);
  auto port = static_cast<uint16_t>(
    std::stoul(st.cfg.listen_addr.substr(colon + 1)));
  auto bound = net::publish_transport(sys, transport, host, port);
  if (!bound)
    logger("node")->error("cluster port not open: {}", bound.error().message);
  else
    logger("node")->info("cluster port open addr={}:{}", host, *bound);
}

// Starts the manager components and the agent, and hands the store to the
// control actor. Each component is linked: if one dies, the node dies, and
// the daemon exits (fail-stop). Only a node that initialized its swarm
// bootstraps a Raft group; a joined one waits for the leader's log.
namespace {

// Routes requests of `kinds` arriving on the cluster port to `server`.
void serve(node_actor_t* self, std::initializer_list<pb::Envelope::Kind> kinds,
           const caf::actor& server) {
  for (auto k : kinds)
    self->send(self->state.transport, serve_atom::value,
               static_cast<int32_t>(k),
               // TODO(i7-merge): the servers' typed handles.
               caf::actor_cast<net::cluster_server_actor_type>(server));
}

agent::agent_config agent_cfg(const node_state& st) {
  return {st.id.node_id, st.id.hostname, st.id.addr, st.cfg.tasks_dir,
          st.cfg.cgroup_root};
}

// A worker: no store; its agent talks to a manager's dispatcher.
void start_worker(node_actor_t* self) {
  auto& st = self->state;
  auto& sys = self->system();
  if (!sys.has_middleman()) {
    logger("node")->error("a worker needs the cluster port (middleman)");
    return;
  }
  if (!st.transport)
    open_transport(self);
  auto proxy = dispatcher::spawn_dispatcher_proxy(sys, st.transport,
                                                  st.id.managers);
  // TODO(i7-merge): keep the typed handles (dispatcher proxy, agent); name
  // the fields for them (st.link: dispatcher proxy, st.gate: agent server).
  st.link = caf::actor_cast<caf::actor>(proxy);
  serve(self, {pb::Envelope::ASSIGN}, st.link);
  st.agent = caf::actor_cast<caf::actor>(agent::spawn_agent(
    sys, proxy, st.dir->task_records(), agent_cfg(st), *st.clk));
  for (auto& a : {st.link, st.agent})
    self->link_to(a);
  logger("node")->info("worker components started node_id={} managers={}",
                       st.id.node_id, st.id.managers.size());
}

} // namespace

void start_components(node_actor_t* self) {
  auto& st = self->state;
  if (st.id.worker) {
    start_worker(self);
    return;
  }
  auto& sys = self->system();
  store::store_config scfg;
  scfg.snapshot_interval = st.cfg.snapshot_interval;
  scfg.raft.core.id = st.id.raft_id;
  scfg.raft.tick_ms = st.cfg.tick_ms;
  scfg.raft.seed = st.id.raft_id;
  scfg.raft.bootstrap.clear();
  if (!st.id.joined)
    scfg.raft.bootstrap.push_back(self_member(st.id));
  st.store = caf::actor_cast<caf::actor>(  // TODO(i7-merge)
    store::spawn_store(sys, st.dir->log(), &st.dir->snapshots(), scfg));
  start_transport(self);
  auto disp = dispatcher::spawn_dispatcher(sys, st.store, *st.clk);
  // TODO(i7-merge): keep the typed handles (dispatcher, agent server, agent).
  st.dispatcher = caf::actor_cast<caf::actor>(disp);
  if (st.transport) {
    st.gate = caf::actor_cast<caf::actor>(dispatcher::spawn_agent_server(
      sys, disp, st.transport, st.store));
    self->link_to(st.gate);
    serve(self, {pb::Envelope::SESSION, pb::Envelope::HEARTBEAT,
                 pb::Envelope::STATUS},
          st.gate);
  }
  st.agent = caf::actor_cast<caf::actor>(agent::spawn_agent(
    sys, disp, st.dir->task_records(), agent_cfg(st), *st.clk));
  for (auto& a : {st.store, st.dispatcher, st.agent})
    self->link_to(a);
  self->send(st.store, watch_atom::value,
             // TODO(i7-merge): the node's typed handle.
             caf::actor_cast<store::leader_watcher_actor_type>(self));
  self->send(st.control, manager_atom::value, st.store, st.id.node_id);
  logger("node")->info("manager components started node_id={} cluster_id={} "
                       "raft_id={}", st.id.node_id, st.id.cluster_id,
                       st.id.raft_id);
}

void after(node_actor_t* self, std::chrono::milliseconds delay,
           std::function<void()> fn) {
  auto id = ++self->state.next_timer;
  self->state.timers.emplace(id, std::move(fn));
  self->delayed_send(self, delay, wakeup_atom::value, id);
}

void stop_components(node_actor_t* self, std::function<void()> then) {
  auto& st = self->state;
  st.on_stopped = std::move(then);
  self->send(st.control, manager_atom::value, caf::actor{}, std::string{});
  auto stop = [=](caf::actor a) {
    auto& st = self->state;
    self->unlink_from(a);
    self->monitor(a);
    st.stopping.insert(a.address());
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  };
  auto rest = [=] {
    auto& st = self->state;
    for (auto* h : {&st.agent, &st.link, &st.gate, &st.dispatcher,
                    &st.orchestrator, &st.scheduler, &st.allocator,
                    &st.store})
      if (auto a = std::exchange(*h, caf::actor{}))
        stop(a);
    if (st.stopping.empty() && st.on_stopped)
      std::exchange(st.on_stopped, nullptr)();
  };
  if (!st.store) {
    rest();
    return;
  }
  self->request(st.store, store_timeout, raft_atom::value)
    .then(
      [=](raft::raft_actor_type& raft) {
        // Only watched: it dies with the store.
        self->monitor(raft);
        self->state.stopping.insert(raft.address());
        rest();
      },
      [=](caf::error&) { rest(); });
}

namespace {

reply_t swarm_init(node_actor_t* self, const pb::SwarmInitRequest& req) {
  auto& st = self->state;
  if (!st.id.cluster_id.empty() && req.force_new_cluster())
    return force_new_cluster(self, req);
  if (!st.id.cluster_id.empty())
    return error_reply(
      fail(errc::already_in_swarm, docker_text::already_in_swarm()));
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
      return swarm_join(self, req.swarm_join());
    case R::kSwarmLeave:
      return swarm_leave(self, req.swarm_leave().force());
    case R::kNodeRole:
    case R::kNodeRemove:
      if (st.id.cluster_id.empty() || st.id.worker)
        return error_reply(not_in_swarm());
      return node_change(self, req);
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
        && st.on_stopped)
      std::exchange(st.on_stopped, nullptr)();
  });
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    // A component stopped by a leave may have exited before the unlink.
    if ((self->state.leaving || self->state.on_stopped)
        && msg.reason == caf::exit_reason::user_shutdown)
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
    [=](leader_atom, const raft::raft_status_ptr& x) { on_leader(self, x); },
    [=](rpc_atom, int32_t kind,
        const std::string& bytes) -> caf::result<std::string> {
      switch (kind) {
        case pb::Envelope::JOIN:
          return serve_join(self, bytes);
        case pb::Envelope::CONTROL:
          return serve_control(self, bytes);
        case pb::Envelope::ROLE:
          return serve_role(self, bytes);
        default:
          return make_error(errc::bad_request, "not a node request");
      }
    },
    [=](wakeup_atom, uint64_t id) {
      auto& timers = self->state.timers;
      if (auto i = timers.find(id); i != timers.end()) {
        auto f = std::move(i->second);
        timers.erase(i);
        f();
      }
    },
    [=](kill_atom) {
      if (self->state.leaving && self->state.stopping.empty())
        check_stopped(self);
    },
    // Embedders (include/actorswarm/embed.hpp) watch the store through the
    // node: the store exists from start or swarm init on, so no race.
    [=](subscribe_atom, caf::actor& who) -> caf::result<store_view_ptr> {
      if (!self->state.store)
        return make_error(not_in_swarm());
      // TODO(i7-merge): embedders' watchers are untyped.
      self->delegate(self->state.store, subscribe_atom::value,
                     caf::actor_cast<store::subscriber_actor_type>(who));
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
  // TODO(i7-merge): the node actor still holds the control actor untyped.
  auto control = caf::actor_cast<caf::actor>(
    control::spawn_control(sys, node, clk));
  caf::anon_send(node, control);
  caf::anon_send(node, start_atom::value);
  return {node, control};
}

} // namespace actorswarm::node
