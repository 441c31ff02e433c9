#pragma once

// The node actor's state and the handlers its parts share. The node actor
// is split by concern: node_actor.cpp (start-up, components, leadership,
// init, tokens, dispatch), node_join_actor.cpp (swarm join on both sides),
// node_roles_actor.cpp (promote, demote, rm), node_recover_actor.cpp
// (--force-new-cluster) and node_leave_actor.cpp (swarm leave). Include
// only from those.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/node_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "actors/task/task_actor.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::node {

/// How long the node actor waits on its own store.
constexpr auto store_timeout = std::chrono::seconds(30);

struct node_state {
  persistence::data_dir* dir = nullptr;
  node_config cfg;
  clock* clk = nullptr;
  identity id;
  caf::actor control, store, dispatcher, agent, transport;
  // A manager's gate for remote agents; a worker's link to its managers.
  caf::actor gate, link;
  // The leader's components: running only while this manager leads.
  caf::actor allocator, scheduler, orchestrator;
  // The leader's loop that stores the managers' status is running.
  bool publishing_status = false;
  unreachable_map unreachable_since;
  // `swarm join` in progress (one at a time).
  bool joining = false;
  // Functions due later (after()), by id, run on (wakeup_atom, id).
  std::map<uint64_t, std::function<void()>> timers;
  uint64_t next_timer = 0;
  // `swarm leave --force` in progress: its reply, the components whose down
  // message it awaits, the task processes it stops and its checks so far.
  bool leaving = false;
  // Components being stopped (leave, force-new-cluster) and what runs once
  // every one of them is down.
  std::function<void()> on_stopped;
  caf::response_promise leave_rp;
  std::set<caf::actor_addr> stopping;
  std::vector<task::process_record> procs;
  int64_t leave_checks = 0;
  static inline const char* name = "node";
};

using node_actor_t = caf::stateful_actor<node_state>;
using reply_t = caf::result<pb::ControlReply>;

// -- node_actor.cpp -----------------------------------------------------------

/// On a manager: starts the store (and raft peer), transport, dispatcher,
/// agent gate and agent; the leader's components follow leadership
/// (on_leader). On a worker: the transport, the dispatcher link to its
/// managers and the agent.
void start_components(node_actor_t* self);

/// Runs `fn` in this actor after `delay`.
void after(node_actor_t* self, std::chrono::milliseconds delay,
           std::function<void()> fn);

/// What a membership change answers with, when it is done.
using done_fn = std::function<void(pb::ControlReply)>;

/// Unlinks and stops every component (and the raft peer, which dies with
/// the store); runs `then` once all are down.
void stop_components(node_actor_t* self, std::function<void()> then);

/// Opens the cluster port once per process (the transport outlives leaves).
void open_transport(node_actor_t* self);

// -- node_join_actor.cpp ------------------------------------------------------

/// `swarm join` on the joining node: asks the manager at the given address,
/// then starts the manager components with an empty Raft log.
reply_t swarm_join(node_actor_t* self, const pb::SwarmJoinRequest& req);

/// Asks the manager at `remote` to admit this node (retrying while the
/// swarm has no leader); on success remembers the swarm and starts the
/// components of the role the token granted. `done` gets the CLI's reply.
void send_join(node_actor_t* self, done_fn done, std::string remote,
               pb::JoinRequest jr, std::string addr, int attempt);

/// A JoinRequest that arrived on the cluster port: the leader checks the
/// token, adds the member and its node; a follower passes it to the leader.
caf::result<std::string> serve_join(node_actor_t* self,
                                    const std::string& bytes);

// -- node_roles_actor.cpp -----------------------------------------------------

/// `node promote|demote|rm` on any manager: run on the leader (forwarded
/// there over the cluster port when this manager follows).
reply_t node_change(node_actor_t* self, const pb::ControlRequest& req);

/// A membership request another manager forwarded to us (CONTROL).
caf::result<std::string> serve_control(node_actor_t* self,
                                       const std::string& bytes);

/// The leader told this node its role changed (ROLE).
caf::result<std::string> serve_role(node_actor_t* self,
                                    const std::string& bytes);

/// Removes this manager from the Raft group through the leader (a
/// manager's `swarm leave`); `done` gets an error reply or success.
void leave_raft_group(node_actor_t* self, done_fn done);

// -- node_recover_actor.cpp ---------------------------------------------------

/// `swarm init --force-new-cluster` on a manager of an existing swarm:
/// rebuilds a one-manager Raft group from this manager's state.
reply_t force_new_cluster(node_actor_t* self, const pb::SwarmInitRequest& req);

// -- node_leave_actor.cpp -----------------------------------------------------

/// `swarm leave [--force]`.
reply_t swarm_leave(node_actor_t* self, bool force);

/// A timer of the leave: are the stopped task processes gone yet?
void check_stopped(node_actor_t* self);

/// The components stopped by a leave are all down.
void components_gone(node_actor_t* self);

} // namespace actorswarm::node
