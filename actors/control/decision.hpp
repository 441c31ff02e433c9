#pragma once

// What a control rule decides, without CAF: a reply to give now, or a store
// batch to propose and the reply to give once the store accepted it. The
// rules per object kind (service_rules, node_rules, cluster_rules,
// task_rules) return these; the control actor only carries them out.

#include <cstdint>

#include "messages/control.pb.h"
#include "messages/result.hpp"
#include "messages/store.pb.h"

namespace actorswarm::control {

/// A write the rules allow: propose `batch`; once the store accepted it,
/// answer `ok` (a store refusal is answered as an error_reply instead).
struct write_decision {
  pb::StoreBatch batch;
  pb::ControlReply ok;
};

/// The reply that reports `f` to the CLI (code + one-line message).
pb::ControlReply error_reply(const failure& f);

/// One atomic batch of one action of `kind`, proposed at `now_ns`; the
/// caller fills the action's object.
pb::StoreBatch single_action(pb::StoreAction::Kind kind, int64_t now_ns);

} // namespace actorswarm::control
