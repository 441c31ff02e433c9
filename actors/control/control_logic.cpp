#include "actors/control/control_logic.hpp"

#include "messages/docker_text.hpp"

namespace actorswarm::control {

namespace {

using R = pb::ControlRequest;

failure unknown_request() {
  return fail(errc::bad_request, "unknown control request");
}

pb::ControlReply or_error(result<pb::ControlReply> r) {
  return r ? std::move(*r) : error_reply(r.error());
}

} // namespace

const char* const stale_read_warning
  = "this manager cannot reach a quorum of managers (the swarm has no "
    "leader): showing its last known state, which may be stale";

pb::ControlReply not_manager_reply() {
  return error_reply(fail(errc::not_in_swarm,
                          docker_text::not_swarm_manager()));
}

bool is_membership(const pb::ControlRequest& req) {
  switch (req.request_case()) {
    case R::kInfo:
    case R::kSwarmInit:
    case R::kSwarmJoin:
    case R::kSwarmLeave:
    case R::kJoinToken:
    case R::kNodeRole:
    case R::kNodeRemove:
      return true;
    default:
      return false;
  }
}

bool is_read(const pb::ControlRequest& req) {
  switch (req.request_case()) {
    case R::kNodeList:
    case R::kNodeInspect:
    case R::kServiceList:
    case R::kServiceInspect:
    case R::kTaskList:
    case R::kLogs:
    case R::kSwarmUnlock:
    case R::kSwarmCa:
    case R::kNetworkList:
    case R::kNetworkInspect:
      return true;
    case R::kUnlockKey:
      return !req.unlock_key().rotate();
    default:
      return false;
  }
}

bool shows_raft_status(const pb::ControlRequest& req) {
  return req.request_case() == R::kNodeList
         || req.request_case() == R::kNodeInspect;
}

pb::ControlReply answer_read(const store::object_store& view,
                             const pb::ControlRequest& req,
                             const std::string& self_id) {
  switch (req.request_case()) {
    case R::kNodeList: {
      auto out = list_nodes(view);
      out.mutable_info()->set_node_id(self_id);
      return out;
    }
    case R::kNodeInspect:
      return or_error(inspect_nodes(view, req.node_inspect(), self_id));
    case R::kServiceList:
      return list_services(view);
    case R::kServiceInspect:
      return or_error(inspect_services(view, req.service_inspect()));
    case R::kTaskList:
      return or_error(list_tasks(view, req.task_list()));
    case R::kLogs:
      return or_error(logs_tasks(view, req.logs()));
    case R::kUnlockKey:
      return read_unlock_key(view);
    case R::kSwarmUnlock:
      return not_locked_reply();
    case R::kSwarmCa:
      return read_ca(view);
    case R::kNetworkList:
      return list_networks(view);
    case R::kNetworkInspect:
      return or_error(inspect_networks(view, req.network_inspect()));
    default:
      return error_reply(unknown_request());
  }
}

void finish_read(pb::ControlReply& r, bool fresh,
                 const raft::raft_status* status) {
  if (status)
    overlay_raft_status(r, *status);
  if (!fresh && r.code() == 0)
    r.set_warning(stale_read_warning);
}

result<write_decision> decide_write(const store::object_store& view,
                                    const pb::ControlRequest& req,
                                    const std::string& self_id,
                                    std::mt19937_64& gen, int64_t now_ns) {
  switch (req.request_case()) {
    case R::kServiceCreate:
      return create_service(view, req.service_create().spec(), gen, now_ns);
    case R::kServiceUpdate:
      return update_service(view, req.service_update(), now_ns);
    case R::kServiceScale:
      return scale_service(view, req.service_scale(), now_ns);
    case R::kServiceRemove:
      return remove_services(view, req.service_remove(), now_ns);
    case R::kNodeUpdate:
      return update_node(view, req.node_update(), self_id, now_ns);
    case R::kSwarmUpdate:
      return update_swarm(view, req.swarm_update(), now_ns);
    case R::kUnlockKey:
      return rotate_unlock_key(view, req.unlock_key(), now_ns);
    case R::kNetworkCreate:
      return create_network(view, req.network_create().spec(), gen, now_ns);
    case R::kNetworkRemove:
      return remove_networks(view, req.network_remove(), now_ns);
    default:
      return unknown_request();
  }
}

} // namespace actorswarm::control
