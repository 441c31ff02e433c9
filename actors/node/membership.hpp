#pragma once

// Swarm membership decisions of the node actor, without CAF: the node's
// identity in node_state, building the cluster at `swarm init`, join tokens,
// and the refusals for operations a one-manager swarm cannot do safely.
// Randomness and the CA come in as cluster_secrets (no OpenSSL here).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/node/cluster_secrets.hpp"
#include "actors/raft/apply_batch.hpp"
#include "messages/cluster.pb.h"
#include "messages/control.pb.h"
#include "messages/objects.pb.h"
#include "messages/raft.pb.h"
#include "messages/result.hpp"
#include "messages/store.pb.h"

namespace actorswarm::persistence {
class kv_store;
struct node_certs;
} // namespace actorswarm::persistence

namespace actorswarm::node {

/// Who this node is, persisted in node_state.
struct identity {
  std::string node_id;
  std::string hostname;
  std::string cluster_id;  // empty: not in a swarm
  std::string addr;        // advertised cluster address host:port
  std::string listen_addr; // swarm init --listen-addr; empty: the daemon's
  uint64_t raft_id = 0;    // this node's id in the Raft group; never 0
  bool joined = false;     // joined a swarm (else initialized it)
  bool worker = false;     // runs tasks only: no store, no Raft peer
  std::vector<std::string> managers; // a worker's managers (host:port)
};

/// This node as a Raft group member.
pb::Member self_member(const identity& id);

/// Loads the identity, creating and persisting a node id on first start,
/// and a random Raft id (from `secrets`) when none is stored.
identity load_identity(persistence::kv_store& kv, const std::string& hostname,
                       const cluster_secrets& secrets);

/// Persists the membership part of the identity (synced).
void save_identity(persistence::kv_store& kv, const identity& id);

/// The address to advertise: --advertise-addr, else --listen-addr, else the
/// daemon's listen address; a wildcard host becomes this host's first
/// non-loopback IPv4 address (127.0.0.1 if it has none).
result<std::string> advertise_addr(const pb::SwarmInitRequest& req,
                                   const std::string& daemon_listen_addr);

/// Where `swarm init` opens the cluster port (Docker: --listen-addr sets
/// where it listens, --advertise-addr what others are told): its
/// --listen-addr as host:port (port 2377 when omitted), or "" when it gave
/// none (the daemon's --listen-addr applies).
result<std::string> init_listen_addr(const pb::SwarmInitRequest& req);

/// The same for `swarm join --listen-addr`.
result<std::string> join_listen_addr(const pb::SwarmJoinRequest& req);

/// The host:port this node's cluster port opens on: `id.listen_addr`, else
/// the daemon's --listen-addr.
std::string cluster_listen_addr(const identity& id,
                                const std::string& daemon_listen_addr);

/// A process epoch for the transport's envelopes: random (from `secrets`),
/// never 0.
uint64_t new_epoch(const cluster_secrets& secrets);

/// Host and port of the daemon's listen address `host:port` (the cluster
/// port opens there).
std::pair<std::string, uint16_t> listen_endpoint(const std::string& addr);

/// A new Cluster: id, root CA, join tokens, default spec from `req` (its
/// network settings checked by control::apply_network_settings). The CA,
/// its digest and the tokens' secrets come from `secrets`.
result<pb::Cluster> make_cluster(const pb::SwarmInitRequest& req,
                                 const std::string& addr,
                                 const cluster_secrets& secrets);

/// The atomic batch `swarm init` commits: the cluster, this node and the
/// `ingress` network.
pb::StoreBatch init_batch(const pb::Cluster& c, const identity& id,
                          const std::string& certificate_pem, int64_t now_ns);

/// The reply to `swarm init`: node id, join tokens, address.
pb::ControlReply init_reply(const pb::Cluster& c, const identity& id);

/// The reply to `swarm join-token ROLE`.
pb::ControlReply token_reply(std::shared_ptr<const pb::Cluster> c,
                             pb::NodeSpec::Role role, const std::string& addr);

/// `c` with a fresh secret (from `secrets`) in the token of `role`.
pb::Cluster rotate_token(const pb::Cluster& c, pb::NodeSpec::Role role,
                         const cluster_secrets& secrets);

/// `id` after a manager admitted it with `r`: in r's swarm at `addr`,
/// joined (not initialized), a manager or a worker of r's managers.
identity joined_identity(identity id, const pb::JoinReply& r,
                         const std::string& addr);

/// The JoinRequest this node sends to a manager (`swarm join`), with the
/// public key its certificate is to be issued for.
pb::JoinRequest join_request(const identity& id, const std::string& token,
                             const std::string& addr,
                             const std::string& public_key_pem);

/// This node's credentials for the transport, from its certificate files:
/// empty unless key, certificate and roots are all there.
pb::NodeCredentials node_credentials(const persistence::node_certs& c,
                                     const std::string& cluster_id);

/// This node's private key: the one in `data_dir`, or a new one (saved
/// before it is returned).
result<std::string> ensure_node_key(const std::string& data_dir,
                                    const cluster_secrets& secrets);

/// A certificate of node `node_id` of the cluster `c` (its CA signs) for
/// `public_key_pem`, valid as long as the cluster says (ca::node_cert_days).
result<std::string> issue_cert(const pb::Cluster& c,
                               const std::string& public_key_pem,
                               const std::string& node_id, bool manager,
                               const cluster_secrets& secrets);

/// Checks what `swarm join` was given before anything is sent: a token of
/// the right shape and a manager address host:port.
status check_join_args(const pb::SwarmJoinRequest& req);

/// The membership change that adds the joiner to the Raft group.
pb::ConfChange add_member(const pb::JoinRequest& req);

/// Why a join under the id of the existing node `n` is refused: a node id
/// names one key, the one its certificate was issued for, so a join (a
/// retry, a promotion) must come with that key; another key is someone
/// else claiming the id.
std::optional<failure> node_id_taken(const pb::Node& n,
                                     const std::string& public_key_pem,
                                     const cluster_secrets& secrets);

/// The batch that stores a joined node's object (a manager with its
/// manager status, or a worker).
pb::StoreBatch joined_node_batch(const pb::JoinRequest& req, bool manager,
                                 const std::string& certificate_pem,
                                 int64_t now_ns);

/// Identity part of `info`.
pb::Info identity_info(const identity& id, const std::string& data_dir);

/// A change of this node's own membership in progress; one at a time.
enum class own_change {
  none,
  joining,    // swarm join, or a promotion joining the Raft group
  leaving,    // swarm leave
  restarting, // the components stop and start (demote, promote,
              // --force-new-cluster)
};

/// Why `swarm join` is refused now: this node is in a swarm already, or
/// busy with another change of its membership.
std::optional<failure> join_refusal(const identity& id, own_change busy);

/// The address `swarm join` advertises (advertise_addr with the join's
/// --advertise-addr and --listen-addr), once its token and remote address
/// checked out (check_join_args).
result<std::string> join_addr(const pb::SwarmJoinRequest& req,
                              const std::string& daemon_listen_addr);

/// Why `swarm leave` cannot start now: busy with another change, or not in
/// a swarm. The quorum rule comes later (leave_refusal with the managers).
std::optional<failure> leave_start_refusal(const identity& id, own_change busy);

/// Why `swarm init --force-new-cluster` is refused now: busy, or no store
/// runs (a worker, or components restarting).
std::optional<failure> force_new_cluster_refusal(own_change busy,
                                                 bool store_runs);

/// Whether this node ignores the leader's role change to manager (or to
/// worker): busy, not in a swarm, or already in that role.
bool ignores_role_change(const identity& id, own_change busy, bool manager);

/// Docker's text for `swarm init` or `swarm join` on a node in a swarm.
failure already_in_swarm();

/// Docker's text when the swarm has no leader (no quorum).
failure no_leader();

/// Docker's "not a swarm manager" failure.
failure not_in_swarm();

/// Why `swarm leave` is refused on this node (not in a swarm, or a manager
/// without --force whose leave would lose quorum: `managers` voters of
/// which `reachable` are reachable, this one included); none when the
/// node may leave.
std::optional<failure> leave_refusal(const identity& id, bool force,
                                     size_t managers = 1, size_t reachable = 1);

/// Why removing voter `target` from the Raft group (demote, a manager's
/// leave) is refused: the last manager, or the reachable managers left
/// would not form a quorum (SwarmKit's CanRemoveMember); none if safe.
std::optional<failure> removal_refusal(const raft::raft_status& st,
                                       uint64_t target, const char* what);

/// Why `node rm` of `n` is refused (docker's texts): a manager must be
/// demoted first; a node that is not down needs --force.
std::optional<failure> remove_refusal(const pb::Node& n, bool force);

/// Since when (ns) each manager, by Raft id, has been unreachable; the
/// leader's bookkeeping for manager_status_updates.
using unreachable_map = std::map<uint64_t, int64_t>;

/// The managers whose stored MANAGER STATUS (leader, reachability) differs
/// from the leader's live Raft view `st`, as updated copies; the leader
/// stores them, so every manager shows its view. A manager unreachable for
/// `down_after_ns` (its Raft links are its heartbeat: its agent talks to
/// its own dispatcher) is marked Down ("heartbeat failure", so its tasks
/// run elsewhere) and Ready again once it is reachable. `since` is updated.
std::vector<pb::Node> manager_status_updates(
  const std::vector<std::shared_ptr<const pb::Node>>& nodes,
  const raft::raft_status& st, unreachable_map& since, int64_t now_ns,
  int64_t down_after_ns);

/// How long a manager stays unreachable before the leader marks it Down:
/// three dispatcher heartbeat periods of `c` (5 s each without a cluster
/// or a period).
int64_t manager_down_after_ns(const pb::Cluster* c);

/// The batch that stores `nodes` (manager_status_updates' result).
pb::StoreBatch node_updates(std::vector<pb::Node> nodes, int64_t now_ns);

/// Docker's node status message for a node whose heartbeats stopped.
constexpr const char* heartbeat_failure = "heartbeat failure";

/// `n` as a worker: roles worker, no manager status.
pb::Node as_worker(pb::Node n);

/// `n` as a manager with Raft id `raft_id` at `addr`.
pb::Node as_manager(pb::Node n, uint64_t raft_id, const std::string& addr);

} // namespace actorswarm::node
