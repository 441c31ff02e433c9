#include "actors/node/membership.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "actors/ca/join_token.hpp"
#include "actors/ca/renewal.hpp"
#include "actors/control/network_rules.hpp"
#include "actors/raft/conf_change.hpp"
#include "messages/defaults.hpp"
#include "messages/docker_text.hpp"
#include "messages/ids.hpp"
#include "persistence/certificates.hpp"
#include "persistence/kv_store.hpp"

namespace actorswarm::node {

namespace {

constexpr int64_t default_heartbeat_ns
  = cluster_defaults::dispatcher_heartbeat_period_ms * 1'000'000;

std::string local_hostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0)
    return "localhost";
  return buf;
}

std::string first_ipv4() {
  ifaddrs* ifs = nullptr;
  std::string out = "127.0.0.1";
  if (::getifaddrs(&ifs) != 0)
    return out;
  for (auto* i = ifs; i != nullptr; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
      continue;
    auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
    std::string ip = buf;
    if (ip.rfind("127.", 0) != 0) {
      out = ip;
      break;
    }
  }
  ::freeifaddrs(ifs);
  return out;
}

result<std::pair<std::string, std::string>> split_addr(const std::string& x,
                                                       const char* flag) {
  auto colon = x.rfind(':');
  auto host = colon == std::string::npos ? x : x.substr(0, colon);
  auto port = colon == std::string::npos ? std::string{"2377"}
                                         : x.substr(colon + 1);
  if (host.empty() || port.empty()
      || port.find_first_not_of("0123456789") != std::string::npos
      || std::stoul(port) == 0 || std::stoul(port) > 65535)
    return fail(errc::invalid_spec, std::string{"invalid "} + flag + " \"" + x
                                      + "\": expected IP:PORT");
  return std::make_pair(host, port);
}

std::string new_secret_token(const std::string& digest,
                             const cluster_secrets& secrets) {
  return ca::make_token(digest, secrets.random_bytes(16));
}

// Whether `reachable` of `voters` managers fall short of a quorum.
bool loses_quorum(size_t voters, size_t reachable) {
  return reachable < voters / 2 + 1;
}

} // namespace

identity load_identity(persistence::kv_store& kv, const std::string& hostname,
                       const cluster_secrets& secrets) {
  identity id;
  if (auto x = kv.get("node_id")) {
    id.node_id = *x;
  } else {
    id.node_id = new_id();
    kv.put("node_id", id.node_id);
  }
  id.hostname = hostname.empty() ? local_hostname() : hostname;
  id.cluster_id = kv.get("cluster_id").value_or("");
  id.addr = kv.get("addr").value_or("");
  id.listen_addr = kv.get("listen_addr").value_or("");
  id.joined = kv.get("origin").value_or("") == "join";
  id.worker = kv.get("role").value_or("") == "worker";
  auto managers = kv.get("managers").value_or("");
  for (size_t i = 0; i < managers.size();) {
    auto j = managers.find(',', i);
    if (j == std::string::npos)
      j = managers.size();
    if (j > i)
      id.managers.push_back(managers.substr(i, j - i));
    i = j + 1;
  }
  // A random raft id (SwarmKit's), fixed for the life of the data dir.
  if (auto x = kv.get("raft_id")) {
    id.raft_id = std::stoull(*x);
  } else {
    while (id.raft_id == 0) {
      auto bytes = secrets.random_bytes(sizeof(id.raft_id));
      std::memcpy(&id.raft_id, bytes.data(), sizeof(id.raft_id));
      id.raft_id >>= 1; // fits int64 too (JSON, CLI output)
    }
    kv.put("raft_id", std::to_string(id.raft_id));
  }
  return id;
}

pb::Member self_member(const identity& id) {
  pb::Member me;
  me.set_raft_id(id.raft_id);
  me.set_node_id(id.node_id);
  me.set_addr(id.addr);
  return me;
}

void save_identity(persistence::kv_store& kv, const identity& id) {
  kv.put("origin", id.joined ? "join" : "init");
  kv.put("role", id.worker ? "worker" : "manager");
  std::string managers;
  for (const auto& m : id.managers)
    managers += (managers.empty() ? "" : ",") + m;
  kv.put("managers", managers);
  kv.put("addr", id.addr);
  kv.put("listen_addr", id.listen_addr);
  kv.put("cluster_id", id.cluster_id);
}

result<std::string> advertise_addr(const pb::SwarmInitRequest& req,
                                   const std::string& daemon_listen_addr) {
  std::string listen = req.listen_addr().empty() ? daemon_listen_addr
                                                 : req.listen_addr();
  auto l = split_addr(listen, "--listen-addr");
  if (!l)
    return l.error();
  if (!req.advertise_addr().empty()) {
    auto a = split_addr(req.advertise_addr(), "--advertise-addr");
    if (!a)
      return a.error();
    auto port = req.advertise_addr().find(':') == std::string::npos ? l->second
                                                                    : a->second;
    return a->first + ":" + port;
  }
  auto host = l->first == "0.0.0.0" ? first_ipv4() : l->first;
  return host + ":" + l->second;
}

result<std::string> init_listen_addr(const pb::SwarmInitRequest& req) {
  if (req.listen_addr().empty())
    return std::string{};
  auto l = split_addr(req.listen_addr(), "--listen-addr");
  if (!l)
    return l.error();
  return l->first + ":" + l->second;
}

result<std::string> join_listen_addr(const pb::SwarmJoinRequest& req) {
  pb::SwarmInitRequest as_init;
  as_init.set_listen_addr(req.listen_addr());
  return init_listen_addr(as_init);
}

std::string cluster_listen_addr(const identity& id,
                                const std::string& daemon_listen_addr) {
  return id.listen_addr.empty() ? daemon_listen_addr : id.listen_addr;
}

uint64_t new_epoch(const cluster_secrets& secrets) {
  auto epoch = uint64_t{0};
  while (epoch == 0) {
    auto bytes = secrets.random_bytes(sizeof(epoch));
    std::memcpy(&epoch, bytes.data(), sizeof(epoch));
  }
  return epoch;
}

std::pair<std::string, uint16_t> listen_endpoint(const std::string& addr) {
  auto colon = addr.rfind(':');
  return {addr.substr(0, colon),
          static_cast<uint16_t>(std::stoul(addr.substr(colon + 1)))};
}

result<pb::Cluster> make_cluster(const pb::SwarmInitRequest& req,
                                 const std::string& addr,
                                 const cluster_secrets& secrets) {
  pb::Cluster c;
  c.set_id(new_id());
  auto ca = secrets.create_root_ca(c.id(), cluster_defaults::root_ca_days);
  if (!ca)
    return ca.error();
  auto digest = secrets.cert_digest(ca->cert_pem);
  if (!digest)
    return digest.error();
  c.set_root_ca_cert_pem(ca->cert_pem);
  c.set_root_ca_key_pem(ca->key_pem);
  c.mutable_join_tokens()->set_worker(new_secret_token(*digest, secrets));
  c.mutable_join_tokens()->set_manager(new_secret_token(*digest, secrets));
  auto& spec = *c.mutable_spec();
  spec.set_name("default");
  spec.set_scheduler_strategy(req.scheduler_strategy() == pb::Placement::DEFAULT
                                ? pb::Placement::SPREAD
                                : req.scheduler_strategy());
  spec.set_task_history_limit(5);
  spec.set_election_tick(req.election_tick()
                           ? req.election_tick()
                           : cluster_defaults::election_ticks);
  spec.set_heartbeat_tick(req.heartbeat_tick()
                            ? req.heartbeat_tick()
                            : cluster_defaults::heartbeat_ticks);
  spec.set_dispatcher_heartbeat_ns(default_heartbeat_ns);
  spec.set_snapshot_interval(cluster_defaults::snapshot_interval_entries);
  spec.set_keep_old_snapshots(0);
  c.set_random_seed(std::hash<std::string>{}(c.id()));
  // `--autolock`: the key the control actor made (actors/control/autolock).
  if (req.autolock() && !req.fresh_unlock_key().empty()) {
    spec.mutable_encryption_config()->set_auto_lock_managers(true);
    c.set_unlock_key(req.fresh_unlock_key());
  }
  if (spec.election_tick() <= spec.heartbeat_tick())
    return fail(errc::invalid_spec,
                "election tick must be greater than heartbeat tick");
  // --default-addr-pool, --default-addr-pool-mask-length, --data-path-port.
  if (auto ok = control::apply_network_settings(req, spec); !ok)
    return ok.error();
  return c;
}

pb::StoreBatch init_batch(const pb::Cluster& c, const identity& id,
                          const std::string& certificate_pem, int64_t now_ns) {
  pb::StoreBatch b;
  b.set_atomic(true);
  b.set_proposed_at_ns(now_ns);
  auto* ca = b.add_actions();
  ca->set_kind(pb::StoreAction::CREATE);
  *ca->mutable_cluster() = c;
  auto* na = b.add_actions();
  na->set_kind(pb::StoreAction::CREATE);
  auto& n = *na->mutable_node();
  n.set_id(id.node_id);
  n.set_certificate_pem(certificate_pem);
  n.set_role(pb::NodeSpec::MANAGER);
  n.mutable_spec()->set_desired_role(pb::NodeSpec::MANAGER);
  n.mutable_description()->set_hostname(id.hostname);
  n.mutable_status()->set_state(pb::NodeStatus::UNKNOWN);
  n.mutable_status()->set_addr(id.addr);
  auto& ms = *n.mutable_manager_status();
  ms.set_raft_id(id.raft_id);
  ms.set_addr(id.addr);
  ms.set_leader(true);
  ms.set_reachability(pb::ManagerStatus::REACHABLE);
  // Docker's `ingress` network (10.0.0.0/24), there from the start.
  auto* ia = b.add_actions();
  ia->set_kind(pb::StoreAction::CREATE);
  *ia->mutable_network() = control::make_ingress_network(new_id());
  return b;
}

pb::ControlReply init_reply(const pb::Cluster& c, const identity& id) {
  pb::ControlReply out;
  out.set_text(id.node_id);
  out.add_ids(id.node_id);
  auto* cl = out.mutable_cluster();
  cl->set_id(c.id());
  *cl->mutable_join_tokens() = c.join_tokens();
  *cl->mutable_spec() = c.spec();
  out.mutable_info()->set_node_id(id.node_id);
  out.mutable_info()->set_node_addr(id.addr);
  out.mutable_info()->set_cluster_id(c.id());
  return out;
}

pb::ControlReply token_reply(std::shared_ptr<const pb::Cluster> c,
                             pb::NodeSpec::Role role, const std::string& addr) {
  pb::ControlReply out;
  if (!c) {
    out.set_code(static_cast<uint32_t>(errc::not_in_swarm));
    out.set_error(not_in_swarm().message);
    return out;
  }
  out.set_text(role == pb::NodeSpec::MANAGER ? c->join_tokens().manager()
                                             : c->join_tokens().worker());
  out.mutable_info()->set_node_addr(addr);
  return out;
}

pb::Cluster rotate_token(const pb::Cluster& c, pb::NodeSpec::Role role,
                         const cluster_secrets& secrets) {
  auto out = c;
  auto digest = secrets.cert_digest(c.root_ca_cert_pem());
  auto token = new_secret_token(digest ? *digest : std::string(32, '\0'),
                                secrets);
  if (role == pb::NodeSpec::MANAGER)
    out.mutable_join_tokens()->set_manager(token);
  else
    out.mutable_join_tokens()->set_worker(token);
  return out;
}

pb::NodeCredentials node_credentials(const persistence::node_certs& c,
                                     const std::string& cluster_id) {
  pb::NodeCredentials out;
  if (c.key_pem.empty() || c.cert_pem.empty() || c.roots_pem.empty()
      || cluster_id.empty())
    return out;
  out.set_key_pem(c.key_pem);
  out.set_cert_pem(c.cert_pem);
  out.set_trusted_roots_pem(c.roots_pem);
  // Sent after our certificate, so a joiner can pin the root by digest.
  out.set_chain_pem(c.roots_pem);
  out.set_cluster_id(cluster_id);
  return out;
}

result<std::string> ensure_node_key(const std::string& data_dir,
                                    const cluster_secrets& secrets) {
  auto certs = persistence::load_node_certs(data_dir);
  if (!certs)
    return certs.error();
  if (!certs->key_pem.empty())
    return certs->key_pem;
  auto key = secrets.create_node_key();
  if (!key)
    return key.error();
  if (auto ok = persistence::save_node_key(data_dir, *key); !ok)
    return ok.error();
  return *key;
}

result<std::string> issue_cert(const pb::Cluster& c,
                               const std::string& public_key_pem,
                               const std::string& node_id, bool manager,
                               const cluster_secrets& secrets) {
  if (public_key_pem.empty())
    return fail(errc::bad_request,
                "the join request carries no public key to certify");
  if (c.root_ca_key_pem().empty())
    return fail(errc::internal, "this manager holds no CA key");
  return secrets.issue_node_cert({c.root_ca_cert_pem(), c.root_ca_key_pem()},
                                 public_key_pem, node_id, manager, c.id(),
                                 ca::node_cert_days(c));
}

pb::JoinRequest join_request(const identity& id, const std::string& token,
                             const std::string& addr,
                             const std::string& public_key_pem) {
  pb::JoinRequest out;
  out.set_public_key_pem(public_key_pem);
  out.set_token(token);
  out.set_node_id(id.node_id);
  out.set_raft_id(id.raft_id);
  out.set_addr(addr);
  out.set_hostname(id.hostname);
  return out;
}

identity joined_identity(identity id, const pb::JoinReply& r,
                         const std::string& addr) {
  id.cluster_id = r.cluster_id();
  id.addr = addr;
  id.joined = true;
  id.worker = !r.manager();
  id.managers.assign(r.managers().begin(), r.managers().end());
  return id;
}

status check_join_args(const pb::SwarmJoinRequest& req) {
  if (auto t = ca::parse_token(req.token()); !t)
    return t.error();
  auto colon = req.remote_addr().rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail(errc::invalid_spec, "invalid remote address \""
                                      + req.remote_addr()
                                      + "\": expected HOST:PORT");
  if (auto a = split_addr(req.remote_addr(), "remote address"); !a)
    return a.error();
  return ok_status();
}

pb::ConfChange add_member(const pb::JoinRequest& req) {
  pb::ConfChange cc;
  cc.set_type(pb::ConfChange::ADD_NODE);
  auto& m = *cc.mutable_member();
  m.set_raft_id(req.raft_id());
  m.set_node_id(req.node_id());
  m.set_addr(req.addr());
  return cc;
}

std::optional<failure> node_id_taken(const pb::Node& n,
                                     const std::string& public_key_pem,
                                     const cluster_secrets& secrets) {
  if (n.certificate_pem().empty())
    return std::nullopt; // stored before nodes had certificates
  auto held = secrets.public_key_of(n.certificate_pem());
  if (held && *held == public_key_pem)
    return std::nullopt;
  return fail(errc::refused, "node id " + n.id()
                               + " is already in use by another node of "
                                 "this swarm");
}

pb::StoreBatch joined_node_batch(const pb::JoinRequest& req, bool manager,
                                 const std::string& certificate_pem,
                                 int64_t now_ns) {
  pb::StoreBatch b;
  b.set_atomic(true);
  b.set_proposed_at_ns(now_ns);
  auto* a = b.add_actions();
  a->set_kind(pb::StoreAction::CREATE);
  auto& n = *a->mutable_node();
  n.set_id(req.node_id());
  n.set_certificate_pem(certificate_pem);
  auto role = manager ? pb::NodeSpec::MANAGER : pb::NodeSpec::WORKER;
  n.set_role(role);
  n.mutable_spec()->set_desired_role(role);
  n.mutable_description()->set_hostname(req.hostname());
  n.mutable_status()->set_state(pb::NodeStatus::UNKNOWN);
  n.mutable_status()->set_addr(req.addr());
  if (!manager)
    return b;
  auto& ms = *n.mutable_manager_status();
  ms.set_raft_id(req.raft_id());
  ms.set_addr(req.addr());
  ms.set_reachability(pb::ManagerStatus::REACHABLE);
  return b;
}

pb::Info identity_info(const identity& id, const std::string& data_dir) {
  pb::Info out;
  out.set_node_id(id.node_id);
  out.set_node_addr(id.addr);
  out.set_in_swarm(!id.cluster_id.empty());
  out.set_cluster_id(id.cluster_id);
  out.set_is_manager(!id.cluster_id.empty() && !id.worker);
  out.set_data_dir(data_dir);
  out.set_version("0.1.0");
  return out;
}

failure not_in_swarm() {
  return fail(errc::not_in_swarm, docker_text::not_swarm_manager());
}

failure no_leader() {
  return fail(errc::not_leader, docker_text::no_leader());
}

failure already_in_swarm() {
  return fail(errc::already_in_swarm,
              "This node is already part of a swarm. Use \"actorswarm swarm "
              "leave\" to leave this swarm and join another one.");
}

std::optional<failure> join_refusal(const identity& id, own_change busy) {
  if (!id.cluster_id.empty())
    return already_in_swarm();
  if (busy != own_change::none)
    return fail(errc::refused, "this node is already joining or leaving a "
                               "swarm");
  return std::nullopt;
}

result<std::string> join_addr(const pb::SwarmJoinRequest& req,
                              const std::string& daemon_listen_addr) {
  if (auto ok = check_join_args(req); !ok)
    return ok.error();
  pb::SwarmInitRequest where;
  where.set_advertise_addr(req.advertise_addr());
  where.set_listen_addr(req.listen_addr());
  return advertise_addr(where, daemon_listen_addr);
}

std::optional<failure> leave_start_refusal(const identity& id,
                                           own_change busy) {
  if (busy != own_change::none)
    return fail(errc::refused, "this node is busy joining, leaving or "
                               "restarting");
  return leave_refusal(id, true);
}

std::optional<failure> force_new_cluster_refusal(own_change busy,
                                                 bool store_runs) {
  if (busy != own_change::none || !store_runs)
    return fail(errc::refused, "this node is busy joining, leaving or "
                               "restarting its components");
  return std::nullopt;
}

bool ignores_role_change(const identity& id, own_change busy, bool manager) {
  return busy != own_change::none || id.cluster_id.empty()
         || manager == !id.worker;
}

std::optional<failure> leave_refusal(const identity& id, bool force,
                                     size_t managers, size_t reachable) {
  if (id.cluster_id.empty())
    return fail(errc::not_in_swarm, docker_text::not_in_swarm());
  if (force || id.worker)
    return std::nullopt;
  std::string text = "You are attempting to leave the swarm on a node that "
                     "is participating as a manager. ";
  if (managers <= 1)
    return fail(errc::refused,
                text
                  + "Removing the last manager erases all current state "
                    "of the swarm. Use `--force` to ignore this message.");
  auto left = reachable - 1;
  if (loses_quorum(managers - 1, left))
    return fail(errc::refused,
                text + "Removing this node leaves " + std::to_string(left)
                  + " managers out of " + std::to_string(managers)
                  + ". Without a Raft quorum your swarm will be "
                    "inaccessible. The only way to restore a swarm that has "
                    "lost consensus is to reinitialize it with "
                    "`--force-new-cluster`. Use `--force` to suppress this "
                    "message.");
  return std::nullopt;
}

std::optional<failure> removal_refusal(const raft::raft_status& st,
                                       uint64_t target, const char* what) {
  size_t voters = st.members.voters_size();
  if (!raft::is_voter(st.members, target))
    return std::nullopt;
  if (voters <= 1)
    return fail(errc::refused, std::string{"rpc error: attempting to "} + what
                                 + " the last manager of the swarm");
  auto left = st.reachable.size() - (st.reaches(target) ? 1 : 0);
  if (loses_quorum(voters - 1, left))
    return fail(errc::refused,
                "rpc error: can't remove member from the raft: this would "
                "result in a loss of quorum ("
                  + std::to_string(left) + " of the "
                  + std::to_string(voters - 1)
                  + " managers left would be reachable)");
  return std::nullopt;
}

std::optional<failure> remove_refusal(const pb::Node& n, bool force) {
  if (n.role() == pb::NodeSpec::MANAGER || n.has_manager_status())
    return fail(errc::refused,
                "rejected: node " + n.id()
                  + " is a cluster manager and is a member of the raft "
                    "cluster. It must be demoted to worker before removal");
  if (!force && n.status().state() != pb::NodeStatus::DOWN)
    return fail(errc::refused, "rejected: node " + n.id()
                                 + " is not down and can't be removed");
  return std::nullopt;
}

std::vector<pb::Node> manager_status_updates(
  const std::vector<std::shared_ptr<const pb::Node>>& nodes,
  const raft::raft_status& st, unreachable_map& since, int64_t now_ns,
  int64_t down_after_ns) {
  std::vector<pb::Node> out;
  for (const auto& n : nodes) {
    if (!n->has_manager_status())
      continue;
    auto id = n->manager_status().raft_id();
    if (!raft::is_voter(st.members, id))
      continue;
    bool reachable = st.reaches(id);
    if (reachable)
      since.erase(id);
    else
      since.emplace(id, now_ns); // keeps the first time
    auto reach = reachable ? pb::ManagerStatus::REACHABLE
                           : pb::ManagerStatus::UNREACHABLE;
    bool leader = id == st.lead;
    auto state = n->status().state();
    bool down = !reachable && now_ns - since[id] >= down_after_ns;
    bool our_down = state == pb::NodeStatus::DOWN
                    && n->status().message() == heartbeat_failure;
    auto want = down ? pb::NodeStatus::DOWN
                     : (reachable && our_down ? pb::NodeStatus::READY : state);
    if (n->manager_status().reachability() == reach
        && n->manager_status().leader() == leader && want == state)
      continue;
    auto x = *n;
    x.mutable_manager_status()->set_reachability(reach);
    x.mutable_manager_status()->set_leader(leader);
    if (want != state) {
      x.mutable_status()->set_state(want);
      x.mutable_status()->set_message(want == pb::NodeStatus::DOWN
                                        ? heartbeat_failure
                                        : "");
    }
    out.push_back(std::move(x));
  }
  for (auto i = since.begin(); i != since.end();)
    i = raft::is_voter(st.members, i->first) ? std::next(i) : since.erase(i);
  return out;
}

int64_t manager_down_after_ns(const pb::Cluster* c) {
  auto period = c ? c->spec().dispatcher_heartbeat_ns() : 0;
  return 3 * (period > 0 ? period : default_heartbeat_ns);
}

pb::StoreBatch node_updates(std::vector<pb::Node> nodes, int64_t now_ns) {
  pb::StoreBatch b;
  b.set_proposed_at_ns(now_ns);
  for (auto& n : nodes) {
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::UPDATE);
    *a->mutable_node() = std::move(n);
  }
  return b;
}

pb::Node as_worker(pb::Node n) {
  n.set_role(pb::NodeSpec::WORKER);
  n.mutable_spec()->set_desired_role(pb::NodeSpec::WORKER);
  n.clear_manager_status();
  return n;
}

pb::Node as_manager(pb::Node n, uint64_t raft_id, const std::string& addr) {
  n.set_role(pb::NodeSpec::MANAGER);
  n.mutable_spec()->set_desired_role(pb::NodeSpec::MANAGER);
  auto& ms = *n.mutable_manager_status();
  ms.set_raft_id(raft_id);
  ms.set_addr(addr);
  ms.set_reachability(pb::ManagerStatus::REACHABLE);
  return n;
}

} // namespace actorswarm::node
