#pragma once

// One task actor per task assigned to this node. It drives the executor one
// step at a time (prepare, start behind the start gate, watch, stop) and
// reports each status change to its agent. It never reads a clock except
// through node::clock, and its only timer (the stop grace period) is a
// delayed message.
//
// Receives: (assign_atom, Task)  -- a newer version of its task
//           (exited_atom, exit_event) -- from the process watcher
//           (kill_atom)          -- the stop grace period ran out
//           (leave_atom)         -- unassigned: stop what runs, then quit
// Sends:    (status_atom, task_id, TaskStatus) and
//           (report_atom, task_id, record) -> bool to the agent.

#include <memory>
#include <optional>
#include <string>

#include "caf/fwd.hpp"

#include "actors/task/process_record.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::task {

class executor;

caf::actor spawn_task_actor(caf::actor_system& sys, caf::actor agent,
                            std::shared_ptr<executor> exec, node::clock& clk,
                            pb::Task task,
                            std::optional<process_record> record);

} // namespace actorswarm::task
