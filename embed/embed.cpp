// The embedding API (include/actorswarm/embed.hpp): the same node the daemon
// runs (cli/daemon/run_daemon.cpp), spawned in the embedder's actor system.

#include "actorswarm/embed.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/node/node_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "cli/service_spec.hpp"
#include "embed/task_events.hpp"
#include "messages/assert.hpp"
#include "messages/caf_error.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm {

namespace {

// Forwards the node's task changes to one subscriber as task_events.
struct watcher_state {
  task_subscriber subscriber;
  static inline const char* name = "task_watcher";
};

using watcher_self = task_watcher::stateful_pointer<watcher_state>;

void deliver(watcher_self self, const std::vector<task_event>& xs) {
  for (auto& x : xs)
    self->send(self->state.subscriber, x);
}

task_watcher::behavior_type watcher(watcher_self self,
                                    node::node_actor_type node,
                                    task_subscriber subscriber) {
  self->state.subscriber = subscriber;
  // Stop with either end; the store drops subscribers that went down.
  self->monitor(node);
  self->monitor(subscriber);
  self->set_down_handler([=](const caf::down_msg& msg) {
    self->quit(msg.reason);
  });
  // await: the view must be delivered before the first change set.
  self
    ->request(node, caf::infinite, subscribe_atom_v,
              store::subscriber_actor_type{self})
    .await(
      [=](const store_view_ptr& view) {
        deliver(self, embed::initial_task_events(*view));
      },
      [=](caf::error& err) { self->quit(std::move(err)); });
  return {
    [=](events_atom, const store::change_set_ptr& xs) {
      deliver(self, embed::task_events(*xs));
    },
  };
}

std::string lower(std::string x) {
  for (auto& c : x)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x;
}

} // namespace

std::string to_string(const task_event& x) {
  auto out = x.name + " " + x.task_id + " " + lower(pb::TaskState_Name(x.state))
             + " (desired " + lower(pb::TaskState_Name(x.desired_state)) + ")";
  if (x.removed)
    out += " removed";
  if (!x.error.empty())
    out += " \"" + x.error + "\"";
  return out;
}

caf::expected<node_handle> spawn_node(caf::actor_system& sys,
                                      const node_options& opts) {
  auto dir = persistence::data_dir::open(opts.data_dir, true);
  if (!dir)
    return make_error(dir.error());
  std::shared_ptr<persistence::data_dir> owned{std::move(*dir)};
  node::node_config cfg;
  cfg.listen_addr = opts.listen_addr;
  cfg.hostname = opts.hostname;
  cfg.cluster_port = opts.cluster_port;
  auto [n, control] = node::spawn_node(sys, *owned, cfg, node::default_clock());
  // The node actor keeps the data dir open too, should the handle go first.
  n->attach_functor([owned] {});
  return node_handle{std::move(n), control_handle{std::move(control)},
                     std::move(owned)};
}

bool stop_node(caf::actor_system& sys, const node_handle& node,
               uint32_t timeout_ms) {
  caf::scoped_actor self{sys};
  size_t pending = 0;
  // The control actor is not linked to the node: stop both.
  for (auto a : {caf::actor_cast<caf::actor_addr>(node.control),
                 caf::actor_cast<caf::actor_addr>(node.node)})
    if (a) {
      self->monitor(a);
      self->send_exit(a, caf::exit_reason::user_shutdown);
      ++pending;
    }
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds{timeout_ms};
  for (bool timed_out = false; pending > 0 && !timed_out;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    self->receive([&](const caf::down_msg&) { --pending; },
                  caf::after(std::max(left, std::chrono::milliseconds{0})) >>
                    [&] { timed_out = true; });
  }
  return pending == 0;
}

pb::ControlRequest swarm_init_request(const std::string& listen_addr) {
  pb::ControlRequest req;
  req.mutable_swarm_init()->set_listen_addr(listen_addr);
  return req;
}

pb::ServiceSpec host_service(const std::string& name, uint64_t replicas,
                             const std::vector<std::string>& command) {
  cli::service_create_flags flags;
  flags.name = name;
  flags.replicas = std::to_string(replicas);
  flags.image = "host";
  flags.command = command;
  auto spec = cli::build_service_spec(flags);
  AS_ASSERT(spec.ok()); // only defaults besides typed values
  return std::move(*spec);
}

pb::ControlRequest service_create_request(const pb::ServiceSpec& spec) {
  pb::ControlRequest req;
  *req.mutable_service_create()->mutable_spec() = spec;
  return req;
}

pb::ControlRequest service_remove_request(const std::string& ref) {
  pb::ControlRequest req;
  req.mutable_service_remove()->add_refs(ref);
  return req;
}

pb::ControlRequest service_scale_request(const std::string& ref,
                                         uint64_t replicas) {
  pb::ControlRequest req;
  req.mutable_service_scale()->set_ref(ref);
  req.mutable_service_scale()->set_replicas(replicas);
  return req;
}

caf::error reply_error(const pb::ControlReply& reply) {
  if (reply.code() == 0)
    return caf::none;
  return make_error(static_cast<errc>(reply.code()), reply.error());
}

caf::expected<task_watcher> watch_tasks(const node_handle& node,
                                        task_subscriber subscriber) {
  if (!node.node || !subscriber)
    return make_error(errc::bad_request, "watch_tasks: invalid node handle "
                                         "or subscriber");
  auto& sys = node.node.home_system();
  return sys.spawn(watcher, node.node, std::move(subscriber));
}

} // namespace actorswarm
