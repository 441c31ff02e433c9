#include "actors/node/node_actor.hpp"

#include <set>
#include <vector>

#include "caf/all.hpp"

#include "actors/agent/agent_actor.hpp"
#include "actors/control/control_actor.hpp"
#include "actors/dispatcher/agent_server_actor.hpp"
#include "actors/dispatcher/dispatcher_actor.hpp"
#include "actors/dispatcher/dispatcher_proxy_actor.hpp"
#include "actors/network/network_actor.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/leadership_actor.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/membership_actor.hpp"
#include "actors/node/revoke_watch_actor.hpp"
#include "actors/node/swarm_admin_actor.hpp"
#include "actors/store/store_actor.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "net/cluster_secrets.hpp"
#include "net/cluster_transport.hpp"
#include "net/raft_lane.hpp"
#include "persistence/certificates.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using store::store_timeout;

struct node_state {
  persistence::data_dir* dir = nullptr;
  node_config cfg;
  clock* clk = nullptr;
  // The identity the components run under, read from the data dir (where
  // the membership actor keeps it) at each start.
  identity id;
  membership_actor_type membership;
  swarm_admin_actor_type admin;
  control::control_actor_type control;
  // Opened once per process: it outlives stops.
  net::cluster_transport_actor_type transport;
  // The transport's shortcut for Raft messages; the raft peer's outbox.
  std::shared_ptr<net::raft_lane> lane;
  store::store_actor_type store;
  dispatcher::dispatcher_actor_type dispatcher;
  agent::agent_actor_type agent;
  // The node's data plane (overlay networks of its tasks).
  network::network_actor_type network;
  // A manager's door for remote agents; a worker's proxy of its managers'
  // dispatchers.
  dispatcher::agent_server_actor_type agent_server;
  dispatcher::dispatcher_proxy_actor_type dispatcher_proxy;
  // Starts and stops the leader's components by leadership.
  leadership_actor_type leadership;
  // A stop in progress: the components it awaits the down message of, and
  // who waits for its end.
  bool stopping = false;
  std::set<caf::actor_addr> going;
  std::vector<caf::typed_response_promise<bool>> stop_waiters;
  static inline const char* name = "node";
};

using node_self = node_actor_type::stateful_pointer<node_state>;

// The membership and swarm admin actors learn every change of the store or
// the transport.
void tell_membership(node_self self) {
  auto& st = self->state;
  self->send(st.membership, node_components_atom_v, st.store, st.transport);
  self->send(st.admin, node_components_atom_v, st.store, st.transport);
}

// Routes requests of `kinds` arriving on the cluster port to `server`.
void serve(node_self self, std::initializer_list<pb::Envelope::Kind> kinds,
           const net::cluster_server_actor_type& server) {
  for (auto k : kinds)
    self->send(self->state.transport, serve_atom::value,
               static_cast<int32_t>(k), server);
}

// Spawns the transport; with this node's credentials (in a swarm) it opens
// the cluster port at once, else at `swarm init` or `swarm join`. The swarm
// admin serves joins and forwarded demotes on it, the membership actor role
// changes.
void open_transport(node_self self) {
  auto& st = self->state;
  auto& sys = self->system();
  net::cluster_transport_config tcfg;
  tcfg.self = {st.id.node_id, st.id.raft_id, new_epoch(net::openssl_secrets())};
  auto [host, port] = listen_endpoint(cluster_listen_addr(st.id,
                                                          st.cfg.listen_addr));
  tcfg.listen_host = host;
  tcfg.listen_port = port;
  tcfg.make_wire = net::tls_wire_factory(st.cfg.wire);
  if (!st.lane)
    st.lane = std::make_shared<net::raft_lane>();
  tcfg.lane = st.lane;
  if (auto certs = persistence::load_node_certs(st.dir->path()); certs)
    tcfg.creds = node_credentials(*certs, st.id.cluster_id);
  else
    logger("node")->error("{}", certs.error().message);
  st.transport = net::spawn_cluster_transport(sys, tcfg);
  self->link_to(st.transport);
  serve(self, {pb::Envelope::JOIN, pb::Envelope::CONTROL}, st.admin);
  serve(self, {pb::Envelope::ROLE, pb::Envelope::CERT}, st.membership);
  tell_membership(self);
}

// The node's data plane, started with the agent (on every role); linked.
void start_network(node_self self) {
  auto& st = self->state;
  network::network_actor_config ncfg;
  ncfg.netns_dir = st.dir->path() + "/netns";
  ncfg.node_id = st.id.node_id;
  ncfg.addr = st.id.addr;
  ncfg.gateway_subnet = st.cfg.gateway_subnet;
  ncfg.dns_upstreams = st.cfg.dns_upstreams;
  st.network = network::spawn_network_actor(self->system(), std::move(ncfg));
  self->link_to(st.network);
}

agent::agent_config agent_cfg(const node_state& st) {
  return {st.id.node_id,      st.id.hostname, st.id.addr,    st.cfg.tasks_dir,
          st.cfg.cgroup_root, st.network,     st.dir->path()};
}

// A worker: no store; its agent talks to a manager's dispatcher.
void start_worker(node_self self) {
  auto& st = self->state;
  auto& sys = self->system();
  if (!st.transport)
    open_transport(self);
  st.dispatcher_proxy = dispatcher::spawn_dispatcher_proxy(sys, st.transport,
                                                           st.id.managers);
  serve(self, {pb::Envelope::ASSIGN}, st.dispatcher_proxy);
  start_network(self);
  st.agent = agent::spawn_agent(sys, st.dispatcher_proxy,
                                st.dir->task_records(), agent_cfg(st), *st.clk);
  self->link_to(st.dispatcher_proxy);
  self->link_to(st.agent);
  logger("node")->info("worker components started node_id={} managers={}",
                       st.id.node_id, st.id.managers.size());
}

// A manager: the store and its raft peer, the dispatcher with its gate for
// remote agents, the agent and the leadership actor. Only a node that
// initialized its swarm bootstraps a Raft group; a joined one waits for the
// leader's log. Without a cluster port (an embedder that wants none) the
// manager stays alone in its group.
void start_manager(node_self self) {
  auto& st = self->state;
  auto& sys = self->system();
  store::store_config scfg;
  scfg.snapshot_interval = st.cfg.snapshot_interval;
  scfg.raft.core.id = st.id.raft_id;
  scfg.raft.tick_ms = st.cfg.tick_ms;
  scfg.raft.seed = st.id.raft_id;
  scfg.raft.incarnation = new_epoch(net::openssl_secrets());
  // Made here or by open_transport, whichever runs first.
  if (!st.lane)
    st.lane = std::make_shared<net::raft_lane>();
  scfg.raft.outbox = st.lane;
  scfg.raft.bootstrap.clear();
  if (!st.id.joined)
    scfg.raft.bootstrap.push_back(self_member(st.id));
  st.store = store::spawn_store(sys, st.dir->log(), &st.dir->snapshots(), scfg);
  if (st.cfg.cluster_port) {
    if (!st.transport)
      open_transport(self);
    self->send(st.transport, cluster_raft_id_atom::value, st.id.raft_id);
    self->send(st.store, store_connect_atom::value, st.transport);
    // node rm revokes: this manager's port refuses removed nodes.
    spawn_revoke_watch(sys, st.store, st.transport);
  }
  st.dispatcher = dispatcher::spawn_dispatcher(sys, st.store, *st.clk);
  if (st.transport) {
    st.agent_server = dispatcher::spawn_agent_server(sys, st.dispatcher,
                                                     st.transport, st.store);
    self->link_to(st.agent_server);
    serve(self,
          {pb::Envelope::SESSION, pb::Envelope::HEARTBEAT,
           pb::Envelope::STATUS},
          st.agent_server);
  }
  start_network(self);
  st.agent = agent::spawn_agent(sys, st.dispatcher, st.dir->task_records(),
                                agent_cfg(st), *st.clk);
  self->link_to(st.store);
  self->link_to(st.dispatcher);
  self->link_to(st.agent);
  st.leadership = spawn_leadership(self, st.store, st.transport, *st.clk);
  self->send(st.control, manager_atom::value, st.store, st.id.node_id);
  logger("node")->info("manager components started node_id={} cluster_id={} "
                       "raft_id={}",
                       st.id.node_id, st.id.cluster_id, st.id.raft_id);
}

// Each component is linked: if one dies, the node dies, and the daemon
// exits (fail-stop).
void start_components(node_self self) {
  auto& st = self->state;
  st.id = load_identity(st.dir->node_state(), st.cfg.hostname,
                        net::openssl_secrets());
  if (st.id.worker)
    start_worker(self);
  else
    start_manager(self);
  if (auto& broker = st.cfg.logs_broker) {
    if (st.transport)
      serve(self, {pb::Envelope::LOGS}, broker);
    self->send(broker, logs_node_atom::value, st.id.node_id,
               logs::node_caller_actor_type{st.transport});
  }
  tell_membership(self);
}

void finish_stop(node_self self) {
  auto& st = self->state;
  st.stopping = false;
  for (auto& rp : std::exchange(st.stop_waiters, {}))
    rp.deliver(true);
}

// Unlinks and stops `a`; its down message counts toward the stop's end.
void stop_one(node_self self, const caf::actor_addr& a) {
  self->unlink_from(a);
  self->monitor(a);
  self->state.going.insert(a);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

void stop_linked(node_self self) {
  auto& st = self->state;
  // Each handle is cleared first (stop_one only needs the address).
  auto stop = [self](auto& handle) {
    if (auto h = std::exchange(handle, {}))
      stop_one(self, h.address());
  };
  stop(st.agent);
  stop(st.network);
  stop(st.dispatcher_proxy);
  stop(st.agent_server);
  stop(st.dispatcher);
  stop(st.leadership);
  stop(st.store);
  tell_membership(self);
  if (st.going.empty())
    finish_stop(self);
}

// Stops every component and the raft peer, which dies with the store (only
// watched); answers the waiters once all are down.
void stop_components(node_self self) {
  auto& st = self->state;
  st.stopping = true;
  self->send(st.control, manager_atom::value, store::store_actor_type{},
             std::string{});
  if (!st.store) {
    stop_linked(self);
    return;
  }
  self->request(st.store, store_timeout, raft_atom::value)
    .then(
      [=](raft::raft_actor_type& raft) {
        self->monitor(raft);
        self->state.going.insert(raft.address());
        stop_linked(self);
      },
      [=](caf::error&) { stop_linked(self); });
}

void on_exit(node_self self, const caf::exit_msg& msg) {
  // A component being stopped may have exited before the unlink.
  if (self->state.stopping && msg.reason == caf::exit_reason::user_shutdown)
    return;
  if (msg.reason && msg.reason != caf::exit_reason::user_shutdown) {
    logger("node")->critical("a component died: {}",
                             caf::to_string(msg.reason));
    if (self->state.cfg.on_fatal)
      self->state.cfg.on_fatal();
  }
  self->quit(msg.reason);
}

node_actor_type::behavior_type node_actor(node_self self,
                                          persistence::data_dir* dir,
                                          node_config cfg, clock* clk) {
  auto& st = self->state;
  st.dir = dir;
  st.cfg = std::move(cfg);
  st.clk = clk;
  st.id = load_identity(dir->node_state(), st.cfg.hostname,
                        net::openssl_secrets());
  st.membership = spawn_membership(self, caf::actor_cast<node_actor_type>(self),
                                   *dir, st.cfg, *clk);
  st.admin = spawn_swarm_admin(self, st.id.node_id, *clk);
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    if (st.going.erase(msg.source) > 0 && st.going.empty() && st.stopping)
      finish_stop(self);
  });
  self->set_exit_handler([=](const caf::exit_msg& msg) { on_exit(self, msg); });
  return {
    [=](node_init_atom, control::control_actor_type& control) {
      self->state.control = std::move(control);
      if (!self->state.id.cluster_id.empty())
        start_components(self);
    },
    [=](control_atom, pb::ControlRequest& req) {
      using R = pb::ControlRequest;
      auto kind = req.request_case();
      if (kind == R::kNodeRole || kind == R::kNodeRemove)
        return self->delegate(self->state.admin, control_atom_v,
                              std::move(req));
      return self->delegate(self->state.membership, control_atom_v,
                            std::move(req));
    },
    // The store exists from start or swarm init on, so an embedder that
    // watches after either finds it.
    [=](subscribe_atom,
        store::subscriber_actor_type& who) -> caf::result<store_view_ptr> {
      if (!self->state.store)
        return make_error(not_in_swarm());
      self->delegate(self->state.store, subscribe_atom::value, std::move(who));
      return caf::delegated<store_view_ptr>{};
    },
    [=](components_start_atom) {
      start_components(self);
      return true;
    },
    [=](components_stop_atom) -> caf::result<bool> {
      auto rp = self->make_response_promise<bool>();
      self->state.stop_waiters.push_back(rp);
      if (!self->state.stopping)
        stop_components(self);
      return rp;
    },
    [=](transport_open_atom) {
      if (!self->state.transport && self->state.cfg.cluster_port)
        open_transport(self);
      return self->state.transport;
    },
  };
}

} // namespace

std::pair<node_actor_type, control::control_actor_type>
spawn_node(caf::actor_system& sys, persistence::data_dir& dir, node_config cfg,
           clock& clk) {
  if (cfg.tasks_dir.empty())
    cfg.tasks_dir = dir.path() + "/tasks";
  auto node = sys.spawn(node_actor, &dir, std::move(cfg), &clk);
  auto control = control::spawn_control(sys, node, clk, &dir);
  // From no sender: the node never answers its spawner.
  caf::anon_send(node, node_init_atom_v, control);
  return {node, control};
}

} // namespace actorswarm::node
