#include "actors/control/cluster_rules.hpp"

#include "actors/control/task_rules.hpp"
#include "messages/defaults.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::control {

namespace {

// SwarmKit's controlapi keeps the unlock key across updates that leave
// autolock on, makes one when it turns on and drops it when it turns off.
status apply_autolock(pb::Cluster& c, const pb::SwarmUpdateRequest& req,
                      pb::ControlReply& reply) {
  if (!req.set_autolock())
    return ok_status();
  auto* enc = c.mutable_spec()->mutable_encryption_config();
  enc->set_auto_lock_managers(req.autolock());
  if (!req.autolock()) {
    c.clear_unlock_key();
    return ok_status();
  }
  if (!c.unlock_key().empty())
    return ok_status();
  if (req.fresh_unlock_key().empty())
    return fail(errc::internal, "no unlock key was made for autolock");
  c.set_unlock_key(req.fresh_unlock_key());
  reply.set_unlock_key(c.unlock_key());
  return ok_status();
}

void apply_swarm_update(pb::ClusterSpec& spec,
                        const pb::SwarmUpdateRequest& req) {
  if (req.set_scheduler_strategy())
    spec.set_scheduler_strategy(req.scheduler_strategy());
  if (req.set_task_history_limit())
    spec.set_task_history_limit(req.task_history_limit());
  if (req.set_election_tick())
    spec.set_election_tick(req.election_tick());
  if (req.set_heartbeat_tick())
    spec.set_heartbeat_tick(req.heartbeat_tick());
  if (req.set_max_replicas_per_service())
    spec.set_max_replicas_per_service(req.max_replicas_per_service());
  if (req.set_cert_expiry())
    spec.mutable_ca_config()->set_node_cert_expiry_ns(req.cert_expiry_ns());
  if (req.rotate_ca()) {
    auto* ca = spec.mutable_ca_config();
    ca->set_force_rotate(ca->force_rotate() + 1);
  }
}

} // namespace

uint64_t max_replicas_per_service(const store::object_store& view) {
  auto c = view.cluster();
  if (!c || c->spec().max_replicas_per_service() == 0)
    return cluster_defaults::max_replicas_per_service;
  return c->spec().max_replicas_per_service();
}

status check_cert_expiry(const pb::SwarmUpdateRequest& req) {
  // SwarmKit's ca.MinNodeCertExpiration.
  constexpr int64_t min_ns = 3600LL * 1000 * 1000 * 1000;
  if (req.set_cert_expiry() && req.cert_expiry_ns() < min_ns)
    return fail(errc::invalid_spec,
                "minimum certificate expiry time is 1h0m0s");
  return ok_status();
}

result<write_decision> update_swarm(const store::object_store& view,
                                    const pb::SwarmUpdateRequest& req,
                                    int64_t now_ns) {
  auto c = view.cluster();
  if (!c)
    return fail(errc::not_in_swarm, docker_text::not_swarm_manager());
  if (auto st = check_cert_expiry(req); !st)
    return st.error();
  // 0 stored means "the default", so it cannot be asked for.
  if (req.set_max_replicas_per_service() && req.max_replicas_per_service() == 0)
    return fail(errc::invalid_spec,
                "max-replicas-per-service must be at least 1");
  auto x = *c;
  auto& spec = *x.mutable_spec();
  apply_swarm_update(spec, req);
  if (spec.heartbeat_tick() == 0
      || spec.election_tick() <= spec.heartbeat_tick())
    return fail(errc::invalid_spec,
                "election tick must be greater than heartbeat tick, "
                "and heartbeat tick must be at least 1");
  write_decision out;
  if (auto st = apply_autolock(x, req, out.ok); !st)
    return st.error();
  // `swarm ca --rotate` waits for the rotation of this force_rotate.
  if (req.rotate_ca())
    *out.ok.mutable_cluster() = public_cluster(x);
  out.batch = single_action(pb::StoreAction::UPDATE, now_ns);
  *out.batch.mutable_actions(0)->mutable_cluster() = x;
  return out;
}

pb::ControlReply read_unlock_key(const store::object_store& view) {
  auto c = view.cluster();
  if (!c)
    return error_reply(fail(errc::not_in_swarm,
                            docker_text::not_swarm_manager()));
  if (c->unlock_key().empty())
    return error_reply(fail(errc::refused, docker_text::no_unlock_key()));
  pb::ControlReply out;
  out.set_unlock_key(c->unlock_key());
  return out;
}

result<write_decision> rotate_unlock_key(const store::object_store& view,
                                         const pb::UnlockKeyRequest& req,
                                         int64_t now_ns) {
  auto c = view.cluster();
  if (!c)
    return fail(errc::not_in_swarm, docker_text::not_swarm_manager());
  if (c->unlock_key().empty())
    return fail(errc::refused, docker_text::cannot_rotate_unlock_key());
  if (req.fresh_unlock_key().empty())
    return fail(errc::internal, "no unlock key was made for the rotation");
  auto x = *c;
  x.set_unlock_key(req.fresh_unlock_key());
  write_decision out;
  out.ok.set_unlock_key(x.unlock_key());
  out.batch = single_action(pb::StoreAction::UPDATE, now_ns);
  *out.batch.mutable_actions(0)->mutable_cluster() = x;
  return out;
}

pb::ControlReply read_ca(const store::object_store& view) {
  auto c = view.cluster();
  if (!c)
    return error_reply(fail(errc::not_in_swarm,
                            docker_text::not_swarm_manager()));
  pb::ControlReply out;
  *out.mutable_cluster() = public_cluster(*c);
  out.set_text(c->root_ca_cert_pem());
  return out;
}

pb::ControlReply not_locked_reply() {
  return error_reply(fail(errc::refused, docker_text::swarm_not_locked()));
}

pb::Info info_from(const store::object_store& view) {
  pb::Info out;
  for (auto& [id, n] : view.nodes())
    if (n->role() == pb::NodeSpec::MANAGER)
      out.set_managers(out.managers() + 1);
  out.set_nodes(view.nodes().size());
  out.set_services(view.services().size());
  out.set_tasks(view.tasks().size());
  uint64_t running = 0;
  for (auto& [id, t] : view.tasks())
    running += counts_running(*t) ? 1 : 0;
  out.set_running_tasks(running);
  if (auto c = view.cluster()) {
    out.set_cluster_id(c->id());
    *out.mutable_cluster_spec() = c->spec();
  }
  return out;
}

void add_counts(pb::Info& info, const store::object_store& view) {
  auto counts = info_from(view);
  counts.MergeFrom(info);
  info = std::move(counts);
}

void add_raft_info(pb::Info& info, const raft::raft_status& st,
                   uint64_t applied_index) {
  info.set_raft_term(st.term);
  info.set_raft_commit(applied_index);
  for (const auto& m : st.members.voters())
    if (m.raft_id() == st.lead)
      info.set_leader_addr(m.addr());
}

pb::Cluster public_cluster(const pb::Cluster& c) {
  auto out = c;
  out.clear_root_ca_key_pem();
  out.clear_unlock_key();
  return out;
}

} // namespace actorswarm::control
