#pragma once

// The task block (STYLE.md R7): the task component's in-process message
// types, registered by actors/register_types.hpp. Never serialized (marked
// unsafe-for-the-wire); inspect() is for to_string in tests.

#include <string>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/type_id.hpp"

#include "messages/type_id_blocks.hpp"

namespace actorswarm {

/// How a task process ended, as the process watcher saw it.
struct exit_event {
  std::string task_id;
  int pid = 0;
  bool known = false;  // false: adopted process, exit status unknown
  int exit_code = 0;
  int signal = 0;
};

} // namespace actorswarm

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_task, ::actorswarm::type_id_blocks::task)

  CAF_ADD_TYPE_ID(actorswarm_task, (actorswarm::exit_event))

CAF_END_TYPE_ID_BLOCK(actorswarm_task)

static_assert(::actorswarm::type_id_blocks::fits(
                caf::id_block::actorswarm_task::end,
                ::actorswarm::type_id_blocks::dispatcher),
              "the task block runs into the dispatcher block");

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::exit_event)

namespace actorswarm {

/// Inspects an exit_event (never serialized; for to_string in tests).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exit_event& x) {
  return f(caf::meta::type_name("exit_event"), x.task_id, x.pid, x.known,
           x.exit_code, x.signal);
}

} // namespace actorswarm
