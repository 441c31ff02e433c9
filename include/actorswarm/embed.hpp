#pragma once

// Embedding actorswarm in your own CAF program (docs/embedding.md).
//
//   caf::actor_system_config cfg;
//   actorswarm::register_types(cfg);
//   actorswarm::node_handle node;      // outlives the actor system
//   caf::actor_system sys{cfg};
//   node = *actorswarm::spawn_node(sys, {"/tmp/swarm", "", "127.0.0.1:4242"});
//   caf::scoped_actor self{sys};
//   self->request(node.control, timeout, actorswarm::control_atom_v,
//                 actorswarm::swarm_init_request())
//     .receive([](const actorswarm::pb::ControlReply& r) { ... }, ...);
//   actorswarm::watch_tasks(node,            // task_event messages follow
//                           caf::actor_cast<actorswarm::task_subscriber>(self));
//
// Protocol of `node_handle::control` (the actor the CLI talks to, typed as
// control_handle): (control_atom, pb::ControlRequest) -> pb::ControlReply.
// A refused request still answers with a ControlReply: `code` != 0 and a
// one-line `error`; reply_error() turns that into a caf::error. The request
// builders below cover the calls an embedder needs first; every other
// request of messages/control.proto works the same way.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/meta/load_callback.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/none.hpp"
#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "actors/node/node_interface.hpp"
#include "actorswarm/control_handle.hpp"
#include "messages/type_id_blocks.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm {

/// Where and as whom a node runs.
struct node_options {
  /// The node's data dir (created, mode 0700, when missing). One owner at a
  /// time: a dir in use by a daemon or another node is refused.
  std::string data_dir;
  /// Host name the node reports (node ls, placement); empty: gethostname().
  std::string hostname;
  /// Cluster address used by `swarm init` when the request names none.
  std::string listen_addr = "0.0.0.0:2377";
  /// Whether the node opens a cluster port (mutual TLS) once in a swarm, to
  /// join other nodes; without one it runs a swarm of itself alone.
  bool cluster_port = false;
};

/// A running node. `control` serves ControlRequests; `node` is the root of
/// the node's actors (send it an exit message, or call stop_node(), to stop
/// them). The handle keeps the data dir open: keep it until the actor system
/// is gone, e.g. declare it before the `caf::actor_system`.
struct node_handle {
  node::node_actor_type node;
  control_handle control;
  std::shared_ptr<void> resources; // the open data dir
};

/// One observed change of a task, as watch_tasks() delivers it.
struct task_event {
  std::string task_id;
  std::string service_id;
  std::string name;    // service.slot ("web.1"), or service.node_id (global)
  std::string node_id; // empty until scheduled
  pb::TaskState state = pb::NEW;         // observed state
  pb::TaskState desired_state = pb::NEW; // what the orchestrator wants
  std::string error;    // why it failed or is not scheduled; may be empty
  bool removed = false; // the task left the store (state: its last one)
};

/// Prints an event as `name id state (desired D) [error]`, states in lower
/// case as `service ps` prints them.
std::string to_string(const task_event& x);

/// Inspects a task_event (CAF serialization and to_string).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_event& x) {
  auto state = static_cast<int32_t>(x.state);
  auto desired = static_cast<int32_t>(x.desired_state);
  auto guard = caf::meta::load_callback([&]() -> caf::error {
    x.state = static_cast<pb::TaskState>(state);
    x.desired_state = static_cast<pb::TaskState>(desired);
    return caf::none;
  });
  return f(caf::meta::type_name("actorswarm::task_event"), x.task_id,
           x.service_id, x.name, x.node_id, state, desired, x.error, x.removed,
           guard);
}

} // namespace actorswarm

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_embed, ::actorswarm::type_id_blocks::embed)

CAF_ADD_TYPE_ID(actorswarm_embed, (actorswarm::task_event))

CAF_END_TYPE_ID_BLOCK(actorswarm_embed)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_embed::end,
                                     ::actorswarm::type_id_blocks::limit),
  "the embed block runs past the last type id");

namespace actorswarm {

/// Who watch_tasks() reports to: an actor that receives task_event
/// messages. A blocking actor passes itself as
/// `caf::actor_cast<task_subscriber>(self)`.
using task_subscriber = caf::typed_actor<caf::reacts_to<task_event>>;

/// The watcher watch_tasks() spawns; it receives the store's change sets.
/// Monitor it to learn why it stopped.
using task_watcher
  = caf::typed_actor<caf::reacts_to<events_atom, store::change_set_ptr>>;

/// Adds every actorswarm message type and the actorswarm error category to
/// `cfg`. Call once, before constructing the actor system. (The daemon and
/// the tests call the same function: actors/register_types.hpp.)
void register_types(caf::actor_system_config& cfg);

/// Opens `opts.data_dir` and spawns a node in `sys`: a node that is already
/// in a swarm (a restart) starts its manager components and adopts the task
/// processes still alive; a fresh one waits for swarm_init_request(). Fails
/// with an actorswarm error (errc) when the data dir cannot be opened.
caf::expected<node_handle> spawn_node(caf::actor_system& sys,
                                      const node_options& opts);

/// Stops the node's actors and waits, at most `timeout_ms`, until the node
/// actor is down; returns false on timeout. Task processes keep running (as
/// after `kill -9` of a daemon): the next spawn_node on the same data dir
/// adopts them. Remove services first to stop their processes.
bool stop_node(caf::actor_system& sys, const node_handle& node,
               uint32_t timeout_ms = 10000);

/// `swarm init`: makes this node the manager of a new one-node swarm.
/// `listen_addr` empty: the node's node_options::listen_addr.
pb::ControlRequest swarm_init_request(const std::string& listen_addr = {});

/// A replicated service running `command` as host processes (image `host`),
/// with docker's defaults for everything else (restart condition any, 5 s
/// delay, 10 s stop grace period). Adjust the returned spec freely.
pb::ServiceSpec host_service(const std::string& name, uint64_t replicas,
                             const std::vector<std::string>& command);

/// `service create`; the reply's `text` holds the new service id.
pb::ControlRequest service_create_request(const pb::ServiceSpec& spec);

/// `service rm REF` (id, unique id prefix, or name).
pb::ControlRequest service_remove_request(const std::string& ref);

/// `service scale REF=REPLICAS`.
pb::ControlRequest service_scale_request(const std::string& ref,
                                         uint64_t replicas);

/// none when `reply.code()` is 0, else an actorswarm error carrying the
/// reply's one-line message.
caf::error reply_error(const pb::ControlReply& reply);

/// Subscribes `subscriber` to the node's tasks: it receives one task_event
/// per task that exists now, then one per change (created, observed or
/// desired state changed, error changed, removed), in store order. Returns
/// the watcher actor at once; it stops when the subscriber or the node goes
/// down, and exits with errc::not_in_swarm when the node is no manager yet
/// (monitor it to learn why). Watch after swarm_init_request() answered, or
/// right after spawn_node() for a node already in a swarm. Fails only for an
/// empty handle or subscriber.
caf::expected<task_watcher> watch_tasks(const node_handle& node,
                                        task_subscriber subscriber);

} // namespace actorswarm
