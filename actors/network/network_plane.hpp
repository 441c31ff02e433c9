#pragma once

// The network actor's logic, CAF-free: the node's data plane kept in step
// with its assignments (DESIGN.md, Networking). Holds what the assignments
// say each network needs (its VNI, subnet, peers, services), which task
// namespaces are prepared here, and drives a data_plane:
// - prepare(task): ensures the task's networks (namespace, bridge, VXLAN,
//   peers), creates the task's namespace, attaches a leg per network ("eth0"
//   first), and, unless all its networks are internal, a last leg on the
//   node's gateway (its default route, an address from gateway_pool);
//   without one, "eth0" has the default route. Applies its VIP table;
//   returns the namespace's path for the executor.
// - release(task): removes the task's namespace; a network whose last local
//   task went is removed, and the gateway with the last task on it.
// - assign(assignments): on a network part (networks_set), updates peers and
//   the VIP tables of the local tasks whose networks changed. The first full
//   set first reconciles with what a previous daemon left (adopt or remove).
// - the routing mesh: while the ingress network is in the assignments with
//   published ports and the node has its ingress address, the ingress
//   sandbox (os::overlay::ensure_sandbox) and the mesh's rules
//   (nft::apply_mesh), applied again on every change of ports or backends
//   and by refresh_mesh(); removed when no port is published any more.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/network/data_plane.hpp"
#include "actors/network/gateway_pool.hpp"
#include "messages/dispatcher.pb.h"
#include "messages/result.hpp"

namespace actorswarm::network {

/// One network as this node needs it, from the assignments.
struct network_need {
  os::network_desc desc;
  std::vector<os::peer> peers;
  /// Services with a VIP on the network and their backends (no prefix).
  std::vector<nft::vip_service> vips;
  /// The ingress network (Network.spec.ingress).
  bool ingress = false;
  /// Ingress mode: the ports its services publish, with their backends on
  /// this network (for the routing mesh), sorted by protocol and port.
  std::vector<nft::ingress_port> ports;
  /// Network.spec.internal: its tasks get no way out through the gateway.
  bool internal = false;
};

/// Converts an assignments' network part; entries that do not parse are
/// left out and described in `warnings`.
std::map<std::string, network_need>
needs_of(const google::protobuf::RepeatedPtrField<pb::NodeNetwork>& xs,
         std::vector<std::string>& warnings);

/// The VIP table of a task on `networks`: the union of their services.
nft::vip_state vip_state_of(const std::map<std::string, network_need>& needs,
                            const std::vector<std::string>& networks);

/// True when a task on `networks` gets a gateway leg: one of them is known
/// and not internal (Docker: only tasks on internal networks alone go
/// without docker_gwbridge).
bool wants_gateway(const std::map<std::string, network_need>& needs,
                   const std::vector<std::string>& networks);

class network_plane {
public:
  explicit network_plane(data_plane& dp) : dp_(dp) {
    // nop
  }

  /// Follows the assignments. Errors are logged and retried on the next
  /// change (the returned status is the first one).
  status assign(const pb::Assignments& as);

  /// Sets up the task's namespace on its networks (Task.networks); returns
  /// the namespace's path. errc::not_found when a network is not in the
  /// assignments (yet); nothing is left behind on failure.
  result<std::string> prepare(const pb::Task& task);

  /// Removes the task's namespace (after its process exited). Unknown tasks
  /// are not an error.
  status release(const std::string& task_id);

  /// Applies the routing mesh's rules again (a host firewall that reloaded
  /// dropped our FORWARD accept rule); nothing without a mesh. For a
  /// periodic timer.
  status refresh_mesh();

  /// Removes the routing mesh (the node leaves the swarm).
  status remove_mesh();

  /// The mesh as last applied, if any (for tests).
  const std::optional<nft::mesh_state>& mesh() const {
    return mesh_;
  }

  /// Nothing of a previous daemon exists (the first full set came with no
  /// network and no pin directory): the next assignments need no reconcile.
  void start_clean() {
    reconciled_ = true;
  }

  /// True once the first full network part was reconciled.
  bool reconciled() const {
    return reconciled_;
  }

  /// The local tasks' namespaces (for tests).
  std::vector<std::string> task_ids() const;

  /// The networks set up on this node (for tests).
  const std::set<std::string>& networks() const {
    return ensured_;
  }

private:
  struct local_task {
    std::vector<os::task_leg> legs;
    std::vector<std::string> networks;
    nft::vip_state applied;
    /// Its leg on the gateway, if it has one.
    std::optional<os::gateway_leg> gateway;
    /// Asked to stop (desired state past RUNNING): its VIP table is left
    /// as it is until its namespace goes, so that removing N tasks costs N
    /// table replacements, not N per backend change.
    bool stopping = false;
  };

  status ensure(const std::string& network_id);
  status drop_unused(const std::string& network_id);
  status update_mesh();
  std::vector<nft::host_port> host_ports() const;
  // The gateway (network_plane_gateway.cpp).
  gateway_pool& pool();
  bool gets_gateway(const std::map<std::string, network_need>& needs,
                    const std::vector<std::string>& networks) const;
  void route_via_gateway(const std::map<std::string, network_need>& needs,
                         std::vector<os::task_leg>& legs) const;
  status attach_gateway(const std::string& task_id, local_task& lt);
  status drop_gateway_if_unused();
  status adopt_gateways(const os::reconcile_report& rep,
                        const std::map<std::string, network_need>& needs);

  data_plane& dp_;
  bool reconciled_ = false;
  std::map<std::string, network_need> needs_;
  std::set<std::string> ensured_;
  std::map<std::string, local_task> tasks_;
  // The routing mesh: the sandbox (its network and address), the rules last
  // applied.
  std::optional<os::sandbox_info> sandbox_;
  std::string sandbox_network_;
  std::string sandbox_address_;
  std::optional<nft::mesh_state> mesh_;
  // From the last network part: this node's address on ingress, and the
  // host-mode ports of its tasks.
  std::string ingress_address_;
  std::vector<pb::TaskPort> host_ports_;
  bool warned_legacy_ = false;
  /// The addresses of the gateway legs (made on first use).
  std::optional<gateway_pool> pool_;
  /// The gateway may exist (remove_gateway() is due once no task has a leg).
  bool gateway_on_ = false;
};

} // namespace actorswarm::network
