#pragma once

// Every type that travels in a CAF message, registered once (STYLE.md R7).
// The daemon and embedders call
//   cfg.add_message_types<caf::id_block::actorswarm>();
// Protobuf messages serialize through messages/caf_protobuf.hpp; in-process
// shared pointers (store change sets, state views) never leave the process
// and are marked unsafe-for-the-wire.

#include <memory>
#include <string>
#include <vector>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/atom.hpp"
#include "caf/type_id.hpp"

#include "actors/raft/apply_batch.hpp"
#include "actors/store/object_store.hpp"
#include "messages/caf_protobuf.hpp"
#include "messages/cluster.pb.h"
#include "messages/control.pb.h"
#include "messages/dispatcher.pb.h"
#include "messages/objects.pb.h"
#include "messages/raft.pb.h"
#include "messages/store.pb.h"

namespace actorswarm {

/// Read-only state handed to a new watcher; later changes arrive as events.
using store_view_ptr = std::shared_ptr<const store::object_store>;

/// How a task process ended, as the process watcher saw it.
struct exit_event {
  std::string task_id;
  int pid = 0;
  bool known = false;  // false: adopted process, exit status unknown
  int exit_code = 0;
  int signal = 0;
};

} // namespace actorswarm

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::StoreBatch))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::ControlRequest))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::ControlReply))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::SessionRequest))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::SessionReply))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::Heartbeat))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::Assignments))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::StatusBatch))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::RaftMessage))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::Task))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::TaskStatus))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::ServiceSpec))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::store::change_set_ptr))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::store_view_ptr))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::exit_event))
  CAF_ADD_TYPE_ID(actorswarm, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::raft::apply_batch_ptr))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::raft::raft_status_ptr))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::Envelope))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::ConfState))
  CAF_ADD_TYPE_ID(actorswarm, (actorswarm::pb::ConfChange))

CAF_END_TYPE_ID_BLOCK(actorswarm)

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::store::change_set_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::store_view_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::exit_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::raft::apply_batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::raft::raft_status_ptr)

// Atoms: at most 10 characters of text each.
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

namespace actorswarm {

/// Inspects an exit_event (never serialized; for to_string in tests).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exit_event& x) {
  return f(caf::meta::type_name("exit_event"), x.task_id, x.pid, x.known,
           x.exit_code, x.signal);
}

} // namespace actorswarm
