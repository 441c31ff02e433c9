#pragma once

// Task events for embedders (include/actorswarm/embed.hpp, watch_tasks):
// which store changes a task watcher reports, as plain functions of the
// store's view and change sets, so they are tested without actors.

#include <vector>

#include "actors/store/object_store.hpp"
#include "actorswarm/embed.hpp"

namespace actorswarm::embed {

/// The event describing `t` now; `removed` marks its removal from the store.
task_event make_task_event(const pb::Task& t, bool removed);

/// One event per task in `view`, ordered by name, then id: what a new
/// watcher starts from.
std::vector<task_event> initial_task_events(const store::object_store& view);

/// The events of one applied change set, in its order: a task created,
/// removed, or changed in observed state, desired state, error or node.
/// Other task updates (status message, timestamps) and other objects yield
/// nothing.
std::vector<task_event> task_events(const store::change_set& xs);

} // namespace actorswarm::embed
