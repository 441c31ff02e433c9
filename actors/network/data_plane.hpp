#pragma once

// What the network actor needs of the node's data plane, as an interface so
// that its logic (network_plane.hpp) and the actor can be tested without
// root: a fake records the calls. The real one (make_os_data_plane) is
// os::overlay (namespaces, bridges, VXLAN, legs) plus one nft::session per
// task namespace (VIP balancing), and the gateway (the tasks' way out,
// os/overlay.hpp). Every call blocks on netlink; one caller
// at a time (the network actor, detached).

#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "os/nft_rules.hpp"
#include "os/nftables.hpp"
#include "os/overlay.hpp"

namespace actorswarm::network {

class data_plane {
public:
  virtual ~data_plane() = default;

  /// Prepares the pin directory and the host connection; call once, first.
  virtual status start() = 0;

  /// os::overlay::reconcile: adopts what `desired` names, removes the rest,
  /// the ingress sandbox and the mesh's rules included.
  virtual result<os::reconcile_report>
  reconcile(const os::desired_state& desired) = 0;

  virtual status ensure_network(const os::network_desc& desc) = 0;
  virtual status set_peers(const std::string& network_id,
                           const std::vector<os::peer>& peers)
    = 0;
  virtual status remove_network(const std::string& network_id) = 0;

  /// Creates (or opens) the task's namespace; returns its pinned path.
  virtual result<std::string> create_task(const std::string& task_id) = 0;
  virtual status attach_task(const std::string& task_id,
                             const os::task_leg& leg)
    = 0;
  /// Removes the task's namespace (and its rules session).
  virtual status remove_task(const std::string& task_id) = 0;

  /// Replaces the VIP table in the task's namespace.
  virtual status apply_vip(const std::string& task_id, const nft::vip_state& x)
    = 0;

  /// os::overlay::ensure_sandbox: the node's ingress sandbox.
  virtual result<os::sandbox_info> ensure_sandbox(const os::sandbox_desc& desc)
    = 0;

  /// Removes the routing mesh: its rules (nft::remove_mesh) and the
  /// sandbox. Idempotent.
  virtual status remove_sandbox() = 0;

  /// Replaces the routing mesh's rules (nft::apply_mesh): the sandbox's
  /// table (when there is a sandbox), the host's, the FORWARD accept rule.
  virtual result<nft::forward_report> apply_mesh(const nft::mesh_state& x) = 0;
  // -- the gateway (the tasks' way out; os/overlay.hpp) -----------------------

  /// The node-local subnet of the tasks' gateway legs
  /// (overlay_config::gateway_subnet).
  virtual os::ipv4_prefix gateway_subnet() const = 0;

  /// os::overlay::attach_gateway: the task's leg on the gateway bridge, its
  /// default route; makes the bridge and its rules first when missing.
  virtual status attach_gateway(const std::string& task_id,
                                const os::gateway_leg& leg)
    = 0;

  /// os::overlay::remove_gateway: the last task with a gateway leg went.
  virtual status remove_gateway() = 0;
};

/// Removes everything the data plane left on this node in the caller's
/// (host) namespace: the pinned namespaces under `netns_dir` and their
/// devices, the ingress link, the gateway, the mesh's and the gateway's rules.
/// For `swarm leave`, once the tasks stopped. Nothing there: nothing done.
status clear_data_plane(const std::string& netns_dir,
                        const std::string& node_id);

/// The real data plane: os::overlay in the caller's (host) namespace and
/// libnftables sessions per task namespace.
std::unique_ptr<data_plane> make_os_data_plane(os::overlay_config cfg);

/// The same with `host` standing for the node's namespace (a test's
/// namespace playing a host).
std::unique_ptr<data_plane> make_os_data_plane(os::overlay_config cfg,
                                               os::netns host);

} // namespace actorswarm::network
