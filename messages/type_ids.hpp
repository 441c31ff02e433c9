#pragma once

// The messages block: every protobuf message (and plain wire type) that
// travels in a CAF message (STYLE.md R7). It includes nothing of actors/:
// each component declares its own in-process types in its own block beside
// its interface (messages/type_id_blocks.hpp lists the blocks' first ids),
// and one function registers them all:
//   actorswarm::register_types(cfg);   // actors/register_types.hpp
// Protobuf messages serialize through messages/caf_protobuf.hpp.

#include <string>
#include <vector>

#include "caf/atom.hpp"
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
  CAF_ADD_TYPE_ID(actorswarm_messages, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::Envelope))
  CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::ConfState))
  CAF_ADD_TYPE_ID(actorswarm_messages, (actorswarm::pb::ConfChange))

CAF_END_TYPE_ID_BLOCK(actorswarm_messages)

static_assert(::actorswarm::type_id_blocks::fits(
                caf::id_block::actorswarm_messages::end,
                ::actorswarm::type_id_blocks::raft),
              "the messages block runs into the raft block");

// Atoms: at most 10 characters of text each. An atom means one thing to
// every receiver; a component's own atoms live in its interface header.
CAF_ADD_ATOM(actorswarm, actorswarm, propose_atom, "propose")
CAF_ADD_ATOM(actorswarm, actorswarm, subscribe_atom, "subscribe")
CAF_ADD_ATOM(actorswarm, actorswarm, events_atom, "events")
CAF_ADD_ATOM(actorswarm, actorswarm, flush_atom, "flush")
CAF_ADD_ATOM(actorswarm, actorswarm, view_atom, "view")
CAF_ADD_ATOM(actorswarm, actorswarm, control_atom, "control")
CAF_ADD_ATOM(actorswarm, actorswarm, reconcile_atom, "reconcile")
CAF_ADD_ATOM(actorswarm, actorswarm, wakeup_atom, "wakeup")
CAF_ADD_ATOM(actorswarm, actorswarm, session_atom, "session")
CAF_ADD_ATOM(actorswarm, actorswarm, heartbeat_atom, "heartbeat")
CAF_ADD_ATOM(actorswarm, actorswarm, hb_check_atom, "hbcheck")
CAF_ADD_ATOM(actorswarm, actorswarm, assign_atom, "assign")
CAF_ADD_ATOM(actorswarm, actorswarm, status_atom, "status")
CAF_ADD_ATOM(actorswarm, actorswarm, exited_atom, "exited")
CAF_ADD_ATOM(actorswarm, actorswarm, kill_atom, "kill")
CAF_ADD_ATOM(actorswarm, actorswarm, tick_atom, "tick")
CAF_ADD_ATOM(actorswarm, actorswarm, start_atom, "start")
CAF_ADD_ATOM(actorswarm, actorswarm, stop_atom, "stop")
CAF_ADD_ATOM(actorswarm, actorswarm, report_atom, "report")
CAF_ADD_ATOM(actorswarm, actorswarm, manager_atom, "manager")
CAF_ADD_ATOM(actorswarm, actorswarm, leave_atom, "leave")
CAF_ADD_ATOM(actorswarm, actorswarm, rotate_atom, "rotate")
CAF_ADD_ATOM(actorswarm, actorswarm, watch_atom, "watch")
CAF_ADD_ATOM(actorswarm, actorswarm, apply_atom, "apply")
CAF_ADD_ATOM(actorswarm, actorswarm, leader_atom, "leader")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_msg_atom, "raftmsg")
CAF_ADD_ATOM(actorswarm, actorswarm, peer_down_atom, "peerdown")
CAF_ADD_ATOM(actorswarm, actorswarm, peers_atom, "peers")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_atom, "raft")
CAF_ADD_ATOM(actorswarm, actorswarm, redial_atom, "redial")
CAF_ADD_ATOM(actorswarm, actorswarm, rpc_atom, "rpc")
CAF_ADD_ATOM(actorswarm, actorswarm, serve_atom, "serve")
CAF_ADD_ATOM(actorswarm, actorswarm, conf_atom, "conf")
CAF_ADD_ATOM(actorswarm, actorswarm, read_atom, "read")
CAF_ADD_ATOM(actorswarm, actorswarm, transfer_atom, "transfer")
