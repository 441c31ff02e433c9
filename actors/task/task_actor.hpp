#pragma once

// One task actor per task assigned to this node. It drives the executor one
// step at a time (prepare, start behind the start gate, watch, stop) as the
// task state machine (task_state_machine.hpp) asks, and reports each status
// change to its agent. It never reads a clock except through node::clock,
// and its only timer (the stop grace period) is a delayed message.
//
// Protocol: task_interface.hpp (task_actor_type; it calls its agent as
// owner_actor_type).

#include <memory>
#include <optional>
#include <string>

#include "caf/fwd.hpp"

#include "actors/network/network_interface.hpp"
#include "actors/task/process_record.hpp"
#include "actors/task/task_interface.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::task {

class executor;

/// Spawns the actor of `task` for `agent`. `record`: the process a previous
/// daemon recorded for it, adopted if it still lives. `net`: the node's
/// network actor; a task on networks (Task.networks) has it prepare its
/// namespace before the process starts (in that namespace), and release it
/// after the process exited. Null: every task runs in the daemon's
/// namespace.
task_actor_type spawn_task_actor(caf::actor_system& sys, owner_actor_type agent,
                                 std::shared_ptr<executor> exec,
                                 node::clock& clk, pb::Task task,
                                 std::optional<process_record> record,
                                 network::network_actor_type net = {});

} // namespace actorswarm::task
