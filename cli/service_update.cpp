#include "cli/service_update.hpp"

#include <algorithm>
#include <set>

#include "cli/mount_spec.hpp"
#include "cli/network_spec.hpp"
#include "cli/service_spec.hpp"
#include "cli/units.hpp"

namespace actorswarm::cli {

namespace {

std::string env_key(const std::string& kv) {
  return kv.substr(0, kv.find('='));
}

// Docker's updateEnvironment: remove by name, then add or replace by name
// (keeping the order of what stays, new names appended).
void update_env(const service_update_flags& f, pb::ContainerSpec& c) {
  std::vector<std::string> env;
  for (const auto& kv : c.env())
    if (std::find(f.env_rm.begin(), f.env_rm.end(), env_key(kv))
        == f.env_rm.end())
      env.push_back(kv);
  for (const auto& kv : f.env_add) {
    auto same = std::find_if(env.begin(), env.end(), [&](const auto& x) {
      return env_key(x) == env_key(kv);
    });
    if (same != env.end())
      *same = kv;
    else
      env.push_back(kv);
  }
  c.clear_env();
  for (auto& kv : env)
    c.add_env(std::move(kv));
}

// Docker's updatePlacementConstraints / updatePlacementPreferences: append,
// drop exact matches of the -rm values; constraints end up sorted.
status update_placement(const service_update_flags& f, pb::Placement& pl) {
  std::vector<std::string> cs(pl.constraints().begin(), pl.constraints().end());
  cs.insert(cs.end(), f.constraint_add.begin(), f.constraint_add.end());
  auto removed = [](const std::vector<std::string>& rm) {
    return [&rm](const std::string& x) {
      return std::find(rm.begin(), rm.end(), x) != rm.end();
    };
  };
  cs.erase(std::remove_if(cs.begin(), cs.end(), removed(f.constraint_rm)),
           cs.end());
  std::sort(cs.begin(), cs.end());
  pl.clear_constraints();
  for (auto& c : cs)
    pl.add_constraints(std::move(c));
  std::vector<std::string> prefs;
  for (const auto& p : pl.spread_preferences())
    prefs.push_back("spread=" + p);
  for (const auto& p : f.placement_pref_add) {
    auto [strategy, arg] = split_kv(p);
    if (p.find('=') == std::string::npos || strategy != "spread")
      return bad_flag("--placement-pref-add", p,
                      "placement preference must be of the format "
                      "\"spread=<arg>\"");
    prefs.push_back(p);
  }
  prefs.erase(std::remove_if(prefs.begin(), prefs.end(),
                             removed(f.placement_pref_rm)),
              prefs.end());
  pl.clear_spread_preferences();
  for (const auto& p : prefs)
    pl.add_spread_preferences(p.substr(7));
  auto max = pl.max_replicas();
  if (auto st = parse_into("--replicas-max-per-node", f.replicas_max_per_node,
                           parse_uint, max);
      !st)
    return st;
  pl.set_max_replicas(max);
  if (f.placement_strategy.empty())
    return ok_status();
  auto s = parse_strategy("--placement-strategy", f.placement_strategy);
  if (!s)
    return s.error();
  pl.set_strategy(*s);
  return ok_status();
}

status update_resources(const service_update_flags& f,
                        pb::ResourceRequirements& r) {
  auto& res = *r.mutable_reservations();
  auto& lim = *r.mutable_limits();
  int64_t rcpu = res.nano_cpus(), rmem = res.memory_bytes();
  int64_t lcpu = lim.nano_cpus(), lmem = lim.memory_bytes();
  for (auto st :
       {parse_into("--reserve-cpu", f.reserve_cpu, parse_nano_cpus, rcpu),
        parse_into("--reserve-memory", f.reserve_memory, parse_ram_bytes, rmem),
        parse_into("--limit-cpu", f.limit_cpu, parse_nano_cpus, lcpu),
        parse_into("--limit-memory", f.limit_memory, parse_ram_bytes, lmem)})
    if (!st)
      return st;
  res.set_nano_cpus(rcpu);
  res.set_memory_bytes(rmem);
  lim.set_nano_cpus(lcpu);
  lim.set_memory_bytes(lmem);
  // Docker drops a section whose values are all 0, as create never sets it.
  if (rcpu == 0 && rmem == 0)
    r.clear_reservations();
  if (lcpu == 0 && lmem == 0)
    r.clear_limits();
  return ok_status();
}

status update_restart(const service_update_flags& f, pb::RestartPolicy& rp) {
  return apply_restart_flags(f.restart_condition, f.restart_delay,
                             f.restart_max_attempts, f.restart_window, rp);
}

// Docker's updateCapabilities, a tri-state: dropping a capability the
// service adds removes it from the adds (and vice versa) instead of listing
// it in both; adding wins over dropping in one update; RESET empties that
// list first; ALL alone in a list; lists sorted so an unchanged update
// changes nothing.
void update_capabilities(const service_update_flags& f, pb::ContainerSpec& c) {
  auto as_set = [](const auto& xs) {
    std::set<std::string> out;
    for (const auto& x : xs)
      out.insert(normalize_cap(x));
    return out;
  };
  auto cap_add = as_set(c.capability_add());
  auto cap_drop = as_set(c.capability_drop());
  auto to_add = as_set(f.cap_add);
  auto to_drop = as_set(f.cap_drop);
  if (to_add.erase("RESET") != 0)
    cap_add.clear();
  if (to_drop.erase("RESET") != 0)
    cap_drop.clear();
  for (const auto& x : to_drop)
    if (to_add.count(x) == 0 && cap_add.erase(x) == 0)
      cap_drop.insert(x);
  for (const auto& x : to_add)
    if (cap_drop.erase(x) == 0)
      cap_add.insert(x);
  auto store = [](std::set<std::string> xs, auto* out) {
    if (xs.count("ALL") != 0)
      xs = {"ALL"};
    out->Clear();
    for (const auto& x : xs)
      *out->Add() = x;
  };
  store(std::move(cap_add), c.mutable_capability_add());
  store(std::move(cap_drop), c.mutable_capability_drop());
}

status update_container(const service_update_flags& f, pb::ContainerSpec& c) {
  if (!f.image.empty())
    c.set_image(f.image);
  if (!f.args.empty()) {
    auto words = split_shell_words(f.args);
    if (!words)
      return bad_flag("--args", f.args, words.error().message);
    c.clear_command();
    for (auto& w : *words)
      c.add_command(std::move(w));
  }
  update_env(f, c);
  if (!f.workdir.empty())
    c.set_dir(f.workdir);
  if (!f.user.empty())
    c.set_user(f.user);
  if (!f.hostname.empty())
    c.set_hostname(f.hostname);
  if (!f.cap_add.empty() || !f.cap_drop.empty())
    update_capabilities(f, c);
  auto grace = c.stop_grace_period_ns();
  auto st = parse_into("--stop-grace-period", f.stop_grace_period,
                       parse_duration_ns, grace);
  c.set_stop_grace_period_ns(grace);
  if (!st)
    return st;
  return apply_health_update(f.health, c);
}

// --publish-add/--publish-rm (docker's updatePorts), --endpoint-mode.
status update_endpoint(const service_update_flags& f, pb::EndpointSpec& ep) {
  auto parse_all = [](const char* flag, const std::vector<std::string>& xs)
    -> result<std::vector<pb::PortConfig>> {
    std::vector<pb::PortConfig> out;
    for (const auto& x : xs) {
      auto p = parse_port_opt(flag, x);
      if (!p)
        return p.error();
      out.push_back(std::move(*p));
    }
    return out;
  };
  auto add = parse_all("--publish-add", f.publish_add);
  if (!add)
    return add.error();
  auto rm = parse_all("--publish-rm", f.publish_rm);
  if (!rm)
    return rm.error();
  if (!add->empty() || !rm->empty())
    update_ports(ep, *rm, *add);
  if (!f.endpoint_mode.empty()) {
    auto mode = parse_endpoint_mode(f.endpoint_mode);
    if (!mode)
      return mode.error();
    ep.set_mode(*mode);
  }
  return ok_status();
}

// --network-add/--network-rm (docker's updateNetworks).
status update_service_networks(const service_update_flags& f,
                               pb::ServiceSpec& spec,
                               const network_resolver& resolve) {
  if (f.network_add.empty() && f.network_rm.empty())
    return ok_status();
  auto id_of = [&resolve](const std::string& ref) -> result<std::string> {
    return resolve ? resolve(ref) : result<std::string>{ref};
  };
  std::vector<std::string> rm_ids;
  for (const auto& ref : f.network_rm) {
    auto id = id_of(ref);
    if (!id)
      return id.error();
    rm_ids.push_back(*id);
  }
  std::vector<pb::NetworkAttachmentConfig> add;
  std::vector<std::string> add_refs;
  for (const auto& x : f.network_add) {
    auto n = parse_network_opt("--network-add", x);
    if (!n)
      return n.error();
    auto id = id_of(n->target());
    if (!id)
      return id.error();
    add_refs.push_back(n->target());
    n->set_target(*id);
    add.push_back(std::move(*n));
  }
  return update_networks(*spec.mutable_networks(), rm_ids, add, add_refs);
}

} // namespace

status apply_service_update(const service_update_flags& f,
                            pb::ServiceSpec& spec,
                            const network_resolver& resolve) {
  auto replicas = spec.replicas();
  if (auto st = parse_into("--replicas", f.replicas, parse_uint, replicas); !st)
    return st;
  if (!f.replicas.empty() && spec.mode() != pb::ServiceSpec::REPLICATED)
    return fail(errc::invalid_spec,
                "replicas can only be used with replicated mode");
  spec.set_replicas(replicas);
  for (const auto& k : f.label_rm)
    spec.mutable_labels()->erase(k);
  for (const auto& l : f.label_add) {
    auto [k, v] = split_kv(l);
    if (k.empty())
      return bad_flag("--label-add", l, "invalid label");
    (*spec.mutable_labels())[k] = v;
  }
  auto* task = spec.mutable_task();
  if (auto st = update_mounts(*task->mutable_container()->mutable_mounts(),
                              f.mount_add, f.mount_rm);
      !st)
    return st;
  for (auto st : {update_container(f, *task->mutable_container()),
                  update_resources(f, *task->mutable_resources()),
                  update_restart(f, *task->mutable_restart()),
                  update_placement(f, *task->mutable_placement()),
                  update_endpoint(f, *spec.mutable_endpoint()),
                  update_service_networks(f, spec, resolve),
                  apply_update_policy(f.policy, spec)})
    if (!st)
      return st;
  // docker's --force: ForceUpdate goes up by one, so the rolling update
  // replaces every task although nothing else changed.
  if (f.force)
    task->set_force_update(task->force_update() + 1);
  return ok_status();
}

bool update_is_empty(const service_update_flags& f) {
  if (!f.mount_add.empty() || !f.mount_rm.empty())
    return false;
  return f.replicas.empty() && f.image.empty() && f.args.empty()
         && f.env_add.empty() && f.env_rm.empty() && f.label_add.empty()
         && f.label_rm.empty() && f.constraint_add.empty()
         && f.constraint_rm.empty() && f.placement_pref_add.empty()
         && f.placement_pref_rm.empty() && f.replicas_max_per_node.empty()
         && f.placement_strategy.empty() && f.limit_cpu.empty()
         && f.limit_memory.empty() && f.reserve_cpu.empty()
         && f.reserve_memory.empty() && f.restart_condition.empty()
         && f.restart_delay.empty() && f.restart_max_attempts.empty()
         && f.restart_window.empty() && f.stop_grace_period.empty()
         && f.workdir.empty() && f.user.empty() && f.cap_add.empty()
         && f.cap_drop.empty() && f.network_add.empty() && f.network_rm.empty()
         && f.publish_add.empty() && f.publish_rm.empty()
         && f.endpoint_mode.empty() && f.hostname.empty() && f.policy.empty()
         && health_flags_empty(f.health);
}

result<std::vector<std::string>> split_shell_words(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  // One pass over the text: bounded by its length.
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < text.size()
               && (text[i + 1] == '"' || text[i + 1] == '\\'))
        cur += text[++i];
      else
        cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word)
        words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote != 0)
    return fail(errc::invalid_spec, "invalid command line string");
  if (in_word)
    words.push_back(std::move(cur));
  return words;
}

} // namespace actorswarm::cli
