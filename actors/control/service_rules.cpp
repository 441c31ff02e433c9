#include "actors/control/service_rules.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "actors/control/cluster_rules.hpp"
#include "actors/control/network_rules.hpp"
#include "actors/control/task_rules.hpp"
#include "actors/scheduler/constraint.hpp"
#include "actors/task/mounts.hpp"
#include "actors/task/privileges.hpp"
#include "actors/update/update_plan.hpp"
#include "actors/update/update_policy.hpp"
#include "actors/update/update_status.hpp"
#include "messages/docker_text.hpp"
#include "messages/ids.hpp"

namespace actorswarm::control {

namespace {

constexpr int64_t memory_limit_min_bytes = 6 * 1024 * 1024;
constexpr size_t name_size_max = 63;

bool valid_name(const std::string& x) {
  if (x.empty() || x.size() > name_size_max
      || !std::isalnum(static_cast<unsigned char>(x[0])))
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
  if (r.limits().memory_bytes() > 0
      && r.limits().memory_bytes() < memory_limit_min_bytes)
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

// SwarmKit's controlapi validateHealthCheck, in its words (a duration of 0
// takes docker's default; others have a floor of 1ms, which a negative one
// is under too). Retries are unsigned on our wire: the CLI refuses a
// negative count with the same text.
status validate_healthcheck(const pb::ContainerSpec& c) {
  if (!c.has_healthcheck())
    return ok_status();
  constexpr int64_t minimum_ns = 1'000'000;
  auto& h = c.healthcheck();
  std::pair<int64_t, const char*> durations[] = {{h.interval_ns(), "Interval"},
                                                 {h.timeout_ns(), "Timeout"},
                                                 {h.start_period_ns(),
                                                  "StartPeriod"}};
  for (auto& [ns, what] : durations)
    if (ns != 0 && ns < minimum_ns)
      return invalid(std::string("ContainerSpec: ") + what
                     + " in HealthConfig cannot be less than 1ms");
  return ok_status();
}

status validate_placement(const pb::Placement& pl) {
  std::vector<std::string> cs(pl.constraints().begin(), pl.constraints().end());
  if (auto r = scheduler::parse_constraints(cs); !r)
    return r.error();
  for (auto& pref : pl.spread_preferences())
    if (pref.rfind("node.labels.", 0) != 0
        && pref.rfind("engine.labels.", 0) != 0)
      return invalid("invalid placement preference \"spread=" + pref
                     + "\": the descriptor must start with node.labels. or "
                       "engine.labels.");
  return ok_status();
}

// The image and command of a `host` task.
status validate_container(const pb::ContainerSpec& c) {
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
  return ok_status();
}

// Docker's capability lists as stored: normalized names ("CAP_X"), each
// once, in order; a list with ALL is just ALL (docker's capsList). The first
// unknown name fails with `unknown capability: "CAP_X"`.
status
normalize_capabilities(google::protobuf::RepeatedPtrField<std::string>& xs) {
  std::vector<std::string> out;
  for (const auto& x : xs) {
    auto name = task::normalize_capability(x);
    if (name != "ALL")
      if (auto bit = task::parse_capability(name); !bit)
        return bit.error();
    if (std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(name);
  }
  if (std::find(out.begin(), out.end(), "ALL") != out.end())
    out = {"ALL"};
  xs.Clear();
  for (auto& x : out)
    *xs.Add() = std::move(x);
  return ok_status();
}

// --user and --cap-add/--cap-drop: well-formed here, the user resolved on
// the node that runs the task.
status validate_privileges(pb::ContainerSpec& c) {
  if (!c.user().empty())
    if (auto u = task::parse_user(c.user()); !u)
      return u.error();
  if (auto r = normalize_capabilities(*c.mutable_capability_add()); !r)
    return r;
  return normalize_capabilities(*c.mutable_capability_drop());
}

// `swarm update --max-replicas-per-service`: one request must not make the
// managers hold more tasks than they can (issue #9). Only growth past the
// limit is refused, so a service stored above a lowered limit can still be
// edited and scaled down step by step.
status check_replica_limit(const store::object_store& view,
                           const pb::ServiceSpec& spec, uint64_t current) {
  auto limit = max_replicas_per_service(view);
  if (spec.replicas() <= std::max(limit, current))
    return ok_status();
  return invalid("replicas " + std::to_string(spec.replicas())
                 + " exceed this swarm's limit of " + std::to_string(limit)
                 + " per service; raise it with `actorswarm swarm update "
                   "--max-replicas-per-service N`");
}

// An edited copy of the service `ref` names, validated, one spec version
// on, as an UPDATE batch.
template <class Edit>
result<write_decision> edit_service(const store::object_store& view,
                                    const std::string& ref, int64_t now_ns,
                                    Edit edit) {
  auto found = find_service(view, ref);
  if (!found)
    return found.error();
  auto svc = **found;
  auto replicas = svc.spec().replicas();
  if (auto ok = edit(svc); !ok)
    return ok.error();
  if (auto ok = validate_service_spec(*svc.mutable_spec()); !ok)
    return ok.error();
  if (auto ok = check_replica_limit(view, svc.spec(), replicas); !ok)
    return ok.error();
  if (auto ok = check_service_networking(view, *svc.mutable_spec(), svc.id());
      !ok)
    return ok.error();
  svc.set_spec_version(svc.spec_version() + 1);
  write_decision out;
  out.batch = single_action(pb::StoreAction::UPDATE, now_ns);
  *out.batch.mutable_actions(0)->mutable_service() = svc;
  out.ok.add_ids(svc.id());
  out.ok.set_text(svc.spec().name());
  return out;
}

} // namespace

status validate_service_spec(pb::ServiceSpec& spec) {
  auto& c = *spec.mutable_task()->mutable_container();
  if (auto r = validate_container(c); !r)
    return r;
  if (!spec.name().empty() && !valid_name(spec.name()))
    return invalid("invalid name \"" + spec.name()
                   + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, up to "
                     "63 characters");
  if (spec.mode() == pb::ServiceSpec::GLOBAL && spec.replicas() != 0)
    return invalid("replicas can only be used with replicated mode");
  if (c.stop_grace_period_ns() < 0)
    return invalid("stop-grace-period cannot be negative");
  if (auto r = validate_privileges(c); !r)
    return r;
  if (auto r = task::validate_mounts(*c.mutable_mounts()); !r)
    return r;
  if (auto r = validate_healthcheck(c); !r)
    return r;
  for (auto& kv : c.env())
    if (kv.empty() || kv.front() == '=')
      return invalid("invalid environment variable \"" + kv + "\"");
  if (auto r = validate_resources(spec.task().resources()); !r)
    return r;
  if (auto r = validate_restart(spec.task().restart()); !r)
    return r;
  if (auto r = update::validate_update_configs(spec); !r)
    return r;
  return validate_placement(spec.task().placement());
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
  static const char* left[] = {"brave", "calm",  "eager", "gentle", "happy",
                               "keen",  "lucid", "nifty", "quirky", "sharp"};
  static const char* right[] = {"babbage", "curie",   "darwin", "euler",
                                "hopper",  "lamport", "liskov", "noether",
                                "ritchie", "turing"};
  std::uniform_int_distribution<int> d(0, 9);
  return std::string{left[d(gen)]} + "_" + right[d(gen)];
}

result<write_decision> create_service(const store::object_store& view,
                                      pb::ServiceSpec spec,
                                      std::mt19937_64& gen, int64_t now_ns) {
  if (auto ok = validate_service_spec(spec); !ok)
    return ok.error();
  if (auto ok = check_replica_limit(view, spec, 0); !ok)
    return ok.error();
  if (auto ok = check_service_networking(view, spec, ""); !ok)
    return ok.error();
  auto svc = make_service(spec, gen);
  // The store's rule, asked early on the view so a create bound to fail is
  // answered at once, in the words of Docker's controlapi.
  if (auto conflict = view.service_name_conflict(svc))
    return fail(errc::name_conflict,
                docker_text::rpc_error("AlreadyExists", conflict->message));
  write_decision out;
  out.batch = single_action(pb::StoreAction::CREATE, now_ns);
  *out.batch.mutable_actions(0)->mutable_service() = svc;
  out.ok.set_text(svc.id());
  out.ok.add_ids(svc.id());
  return out;
}

result<write_decision> update_service(const store::object_store& view,
                                      const pb::ServiceUpdateRequest& req,
                                      int64_t now_ns) {
  return edit_service(view, req.ref(), now_ns, [&req, now_ns](pb::Service& s) {
    // The store refuses the write as out of sequence if the service changed
    // since the CLI read it (0: the CLI named no version).
    if (req.version() != 0)
      s.mutable_meta()->set_version(req.version());
    if (req.rollback()) {
      auto back = update::manual_rollback(s, now_ns);
      if (!back)
        return status{back.error()};
      s = std::move(*back);
      return ok_status();
    }
    *s.mutable_previous_spec() = s.spec();
    *s.mutable_spec() = req.spec();
    // SwarmKit resets UpdateStatus here and its updater starts the update;
    // starting it here already means no reader (the CLI's progress, the
    // orchestrator) sees the old update's COMPLETED under the new spec.
    if (update::spec_changes_tasks(s.previous_spec(), s.spec()))
      *s.mutable_update_status() = update::updating_status(now_ns);
    else
      s.clear_update_status();
    return ok_status();
  });
}

result<write_decision> scale_service(const store::object_store& view,
                                     const pb::ServiceScaleRequest& req,
                                     int64_t now_ns) {
  return edit_service(view, req.ref(), now_ns, [&req](pb::Service& s) {
    if (s.spec().mode() != pb::ServiceSpec::REPLICATED)
      return invalid("scale can only be used with replicated mode");
    s.mutable_spec()->set_replicas(req.replicas());
    return ok_status();
  });
}

result<write_decision> remove_services(const store::object_store& view,
                                       const pb::ServiceRemoveRequest& req,
                                       int64_t now_ns) {
  write_decision out;
  out.batch.set_atomic(true);
  out.batch.set_proposed_at_ns(now_ns);
  for (auto& ref : req.refs()) {
    auto found = find_service(view, ref);
    if (!found)
      return found.error();
    auto* a = out.batch.add_actions();
    a->set_kind(pb::StoreAction::REMOVE);
    a->mutable_service()->set_id((*found)->id());
    out.ok.add_ids(ref);
  }
  return out;
}

result<store::object_ptr<pb::Service>>
find_service(const store::object_store& view, const std::string& ref) {
  return store::resolve(view.services(), ref, "service",
                        [](const pb::Service& s) { return s.spec().name(); });
}

pb::ControlReply list_services(const store::object_store& view) {
  pb::ControlReply out;
  std::vector<const pb::Service*> xs;
  for (auto& [id, s] : view.services())
    xs.push_back(s.get());
  std::sort(xs.begin(), xs.end(),
            [](auto a, auto b) { return a->spec().name() < b->spec().name(); });
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

result<pb::ControlReply>
inspect_services(const store::object_store& view,
                 const pb::ServiceInspectRequest& req) {
  pb::ControlReply out;
  for (auto& ref : req.refs()) {
    auto s = find_service(view, ref);
    if (!s)
      return s.error();
    *out.add_services()->mutable_service() = **s;
  }
  return out;
}

} // namespace actorswarm::control
