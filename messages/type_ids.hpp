#pragma once

// The messages block, and only that: every protobuf message (and plain wire
// type) that travels in a CAF message (STYLE.md R7). It declares no atoms and
// includes nothing of actors/: an atom belongs to the protocol it is part of
// and is declared once, in the interface header of the actor that receives it
// (the lowest one when several interfaces share it, e.g. raft_interface.hpp
// for leader_atom). Each component declares its own in-process types in its
// own block beside its interface (messages/type_id_blocks.hpp lists the
// blocks' first ids), and one function registers them all:
//   actorswarm::register_types(cfg);   // embed/register_types.hpp
// Protobuf messages serialize through messages/caf_protobuf.hpp.

#include <string>
#include <vector>

#include "caf/type_id.hpp"

#include "messages/caf_protobuf.hpp"
#include "messages/cluster.pb.h"
#include "messages/control.pb.h"
#include "messages/dispatcher.pb.h"
#include "messages/objects.pb.h"
#include "messages/raft.pb.h"
#include "messages/store.pb.h"
#include "messages/type_id_blocks.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_messages,
                        ::actorswarm::type_id_blocks::messages)

CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::StoreBatch))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::ControlRequest))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::ControlReply))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::SessionRequest))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::SessionReply))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::Heartbeat))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::Assignments))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::StatusBatch))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::RaftMessage))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::Task))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::TaskStatus))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::ServiceSpec))
CAF_ADD_TYPE_ID(actorswarm_messages, (std::vector<std::string>) )
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::Envelope))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::ConfState))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::ConfChange))
CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::NodeCredentials))

CAF_END_TYPE_ID_BLOCK(actorswarm_messages)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_messages::end,
                                     ::actorswarm::type_id_blocks::raft),
  "the messages block runs into the raft block");
