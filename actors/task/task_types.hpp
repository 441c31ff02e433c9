#pragma once

// The task block (STYLE.md R7): the task component's in-process message
// types, registered by actors/register_types.hpp. Never serialized (marked
// unsafe-for-the-wire); inspect() is for to_string in tests.

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/type_id.hpp"

#include "actors/task/process_exit.hpp"
#include "messages/type_id_blocks.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_task, ::actorswarm::type_id_blocks::task)

CAF_ADD_TYPE_ID(actorswarm_task, (actorswarm::task::process_exit))

CAF_END_TYPE_ID_BLOCK(actorswarm_task)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_task::end,
                                     ::actorswarm::type_id_blocks::dispatcher),
  "the task block runs into the dispatcher block");

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::task::process_exit)

namespace actorswarm::task {

/// Inspects a process_exit (never serialized; for to_string in tests).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_exit& x) {
  return f(caf::meta::type_name("process_exit"), x.known, x.exit_code,
           x.signal);
}

} // namespace actorswarm::task
