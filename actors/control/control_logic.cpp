#include "actors/control/control_logic.hpp"
#include "actors/raft/conf_change.hpp"

#include <algorithm>
#include <cctype>

#include "actors/scheduler/constraint.hpp"
#include "messages/ids.hpp"

namespace actorswarm::control {

namespace {

constexpr int64_t second_ns = 1'000'000'000;

bool valid_name(const std::string& x) {
  if (x.empty() || x.size() > 63 || !std::isalnum(static_cast<unsigned char>(x[0])))
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
           || c == '.';
  });
}

status invalid(std::string msg) {
  return fail(errc::invalid_spec, std::move(msg));
}

status validate_resources(const pb::ResourceRequirements& r) {
  auto neg = [](const pb::Resources& x) {
    return x.nano_cpus() < 0 || x.memory_bytes() < 0;
  };
  if (neg(r.limits()) || neg(r.reservations()))
    return invalid("resources must not be negative");
  if (r.limits().memory_bytes() > 0 && r.limits().memory_bytes() < 6 * 1024 * 1024)
    return invalid("minimum memory limit allowed is 6MB");
  return ok_status();
}

status validate_restart(const pb::RestartPolicy& r) {
  if (r.delay_ns() < 0)
    return invalid("restart-delay cannot be negative");
  if (r.window_ns() < 0)
    return invalid("restart-window cannot be negative");
  return ok_status();
}

} // namespace

status validate_service_spec(pb::ServiceSpec& spec) {
  auto& c = *spec.mutable_task()->mutable_container();
  if (c.image().empty())
    return invalid("service create requires an image (use \"host\")");
  if (c.image() != "host")
    return fail(errc::unsupported_image,
                "image \"" + c.image()
                  + "\" cannot run: this node has no container runtime yet; "
                    "use the image \"host\" to run a host process");
  if (c.command().empty())
    return invalid("the host image needs a command to run, e.g. "
                   "\"host sleep 3600\"");
  if (!spec.name().empty() && !valid_name(spec.name()))
    return invalid("invalid name \"" + spec.name()
                   + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, up to "
                     "63 characters");
  if (spec.mode() == pb::ServiceSpec::GLOBAL && spec.replicas() != 0)
    return invalid("replicas can only be used with replicated mode");
  if (c.stop_grace_period_ns() < 0)
    return invalid("stop-grace-period cannot be negative");
  for (auto& kv : c.env())
    if (kv.empty() || kv.front() == '=')
      return invalid("invalid environment variable \"" + kv + "\"");
  if (auto r = validate_resources(spec.task().resources()); !r)
    return r;
  if (auto r = validate_restart(spec.task().restart()); !r)
    return r;
  auto& pl = spec.task().placement();
  std::vector<std::string> cs(pl.constraints().begin(), pl.constraints().end());
  if (auto r = scheduler::parse_constraints(cs); !r)
    return r.error();
  for (auto& pref : pl.spread_preferences())
    if (pref.rfind("node.labels.", 0) != 0 && pref.rfind("engine.labels.", 0) != 0)
      return invalid("invalid placement preference \"spread=" + pref
                     + "\": the descriptor must start with node.labels. or "
                       "engine.labels.");
  return ok_status();
}

pb::Service make_service(const pb::ServiceSpec& spec, std::mt19937_64& gen) {
  pb::Service s;
  s.set_id(new_id(gen));
  *s.mutable_spec() = spec;
  if (s.spec().name().empty())
    s.mutable_spec()->set_name(random_service_name(gen));
  s.set_spec_version(1);
  return s;
}

std::string random_service_name(std::mt19937_64& gen) {
  static const char* left[] = {"brave", "calm", "eager", "gentle", "happy",
                               "keen", "lucid", "nifty", "quirky", "sharp"};
  static const char* right[] = {"babbage", "curie", "darwin", "euler",
                                "hopper", "lamport", "liskov", "noether",
                                "ritchie", "turing"};
  std::uniform_int_distribution<int> d(0, 9);
  return std::string{left[d(gen)]} + "_" + right[d(gen)];
}

pb::ControlReply error_reply(const failure& f) {
  pb::ControlReply out;
  out.set_code(static_cast<uint32_t>(f.code));
  out.set_error(f.message);
  return out;
}

pb::StoreBatch single_action(pb::StoreAction::Kind kind, int64_t now_ns) {
  pb::StoreBatch b;
  b.set_atomic(true);
  b.set_proposed_at_ns(now_ns);
  b.add_actions()->set_kind(kind);
  return b;
}

std::string task_name(const pb::Task& t) {
  if (t.slot() > 0)
    return t.service_name() + "." + std::to_string(t.slot());
  return t.service_name() + "." + t.node_id();
}

bool counts_running(const pb::Task& t) {
  return t.status().state() == pb::RUNNING
         && t.desired_state() <= pb::RUNNING;
}

pb::ControlReply list_nodes(const store::object_store& view) {
  pb::ControlReply out;
  std::vector<const pb::Node*> xs;
  for (auto& [id, n] : view.nodes())
    xs.push_back(n.get());
  std::sort(xs.begin(), xs.end(), [](auto a, auto b) {
    return std::tie(a->description().hostname(), a->id())
           < std::tie(b->description().hostname(), b->id());
  });
  for (auto* n : xs)
    *out.add_nodes() = *n;
  return out;
}

const char* const stale_read_warning
  = "this manager cannot reach a quorum of managers (the swarm has no "
    "leader): showing its last known state, which may be stale";

void overlay_raft_status(pb::ControlReply& out, const raft::raft_status& st) {
  for (auto& n : *out.mutable_nodes()) {
    if (!n.has_manager_status())
      continue;
    auto& ms = *n.mutable_manager_status();
    auto id = ms.raft_id();
    if (!raft::is_voter(st.members, id)) {
      // Not in the Raft group (any more): a forced new cluster left it out.
      ms.set_leader(false);
      ms.set_reachability(pb::ManagerStatus::UNREACHABLE);
      continue;
    }
    ms.set_leader(id == st.lead);
    if (st.is_leader) {
      // The leader hears every manager: its live view.
      ms.set_reachability(st.reaches(id) ? pb::ManagerStatus::REACHABLE
                                    : pb::ManagerStatus::UNREACHABLE);
    } else if (id == st.raft_id || (st.lead != 0 && id == st.lead)) {
      ms.set_reachability(pb::ManagerStatus::REACHABLE);
    } else if (st.lead == 0) {
      // No leader: nobody this manager can vouch for.
      ms.set_reachability(pb::ManagerStatus::UNREACHABLE);
    }
    // Else a follower's view of another follower: the leader's, as stored.
  }
}

size_t reachable_managers(const store::object_store& view,
                          const raft::raft_status& st) {
  if (st.is_leader)
    return st.reachable.size();
  pb::ControlReply r = list_nodes(view);
  overlay_raft_status(r, st);
  size_t n = 0;
  for (const auto& node : r.nodes())
    n += node.has_manager_status()
         && node.manager_status().reachability()
              == pb::ManagerStatus::REACHABLE;
  return n;
}

pb::ControlReply list_services(const store::object_store& view) {
  pb::ControlReply out;
  std::vector<const pb::Service*> xs;
  for (auto& [id, s] : view.services())
    xs.push_back(s.get());
  std::sort(xs.begin(), xs.end(), [](auto a, auto b) {
    return a->spec().name() < b->spec().name();
  });
  for (auto* s : xs) {
    auto* e = out.add_services();
    *e->mutable_service() = *s;
    uint64_t running = 0, desired = 0;
    for (auto& t : view.tasks_of(s->id())) {
      if (t->desired_state() <= pb::RUNNING)
        ++desired;
      if (counts_running(*t))
        ++running;
    }
    if (s->spec().mode() == pb::ServiceSpec::REPLICATED)
      desired = s->spec().replicas();
    e->set_running(running);
    e->set_desired(desired);
  }
  return out;
}

result<pb::ControlReply> list_tasks(const store::object_store& view,
                                    const pb::TaskListRequest& req) {
  pb::ControlReply out;
  std::vector<store::object_ptr<pb::Task>> xs;
  if (req.service_refs().empty()) {
    for (auto& [id, t] : view.tasks())
      xs.push_back(t);
  } else {
    for (auto& ref : req.service_refs()) {
      auto svc = find_service(view, ref);
      if (!svc)
        return svc.error();
      auto ts = view.tasks_of((*svc)->id());
      xs.insert(xs.end(), ts.begin(), ts.end());
    }
  }
  std::string node_id;
  if (!req.node_ref().empty()) {
    auto n = find_node(view, req.node_ref());
    if (!n)
      return n.error();
    node_id = (*n)->id();
  }
  auto wanted = [&](const pb::Task& t) {
    if (!node_id.empty() && t.node_id() != node_id)
      return false;
    if (req.desired_states().empty())
      return true;
    return std::any_of(req.desired_states().begin(), req.desired_states().end(),
                       [&](int s) { return t.desired_state() == s; });
  };
  std::sort(xs.begin(), xs.end(), [](auto& a, auto& b) {
    return std::make_tuple(a->service_name(), a->slot(), a->node_id(),
                           -a->meta().created_at_ns(), a->id())
           < std::make_tuple(b->service_name(), b->slot(), b->node_id(),
                             -b->meta().created_at_ns(), b->id());
  });
  for (auto& t : xs) {
    if (!wanted(*t))
      continue;
    *out.add_tasks() = *t;
    if (auto n = view.nodes().find(t->node_id()); n != view.nodes().end())
      (*out.mutable_node_names())[t->node_id()]
        = n->second->description().hostname();
  }
  return out;
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

pb::Cluster public_cluster(const pb::Cluster& c) {
  auto out = c;
  out.clear_root_ca_key_pem();
  return out;
}

result<store::object_ptr<pb::Service>>
find_service(const store::object_store& view, const std::string& ref) {
  return store::resolve(view.services(), ref, "service",
                        [](const pb::Service& s) { return s.spec().name(); });
}

result<store::object_ptr<pb::Node>>
find_node(const store::object_store& view, const std::string& ref) {
  return store::resolve(view.nodes(), ref, "node", [](const pb::Node& n) {
    return n.description().hostname();
  });
}

result<store::object_ptr<pb::Task>>
find_task(const store::object_store& view, const std::string& ref) {
  return store::resolve(view.tasks(), ref, "task",
                        [](const pb::Task& t) { return task_name(t); });
}

} // namespace actorswarm::control
