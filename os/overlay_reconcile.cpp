#include "os/overlay.hpp"

#include <set>

#include "messages/assert.hpp"
#include "messages/log.hpp"

// Start-up: adopt what is desired, remove the rest (a daemon killed with -9
// left its namespaces and devices behind; DESIGN.md, Networking).

namespace actorswarm::os {

result<reconcile_report> overlay::reconcile(const desired_state& desired) {
  AS_ASSERT(!tag_.empty()); // start() first
  // Validate everything before changing anything.
  std::map<std::string, const network_desc*> nets;
  std::map<std::string, const task_desc*> tasks;
  for (auto& n : desired.networks) {
    if (auto ok = validate(n); !ok)
      return ok.error();
    nets.emplace(n.id, &n);
  }
  for (auto& t : desired.tasks) {
    if (!valid_object_id(t.id))
      return fail(errc::invalid_spec, "invalid task id: \"" + t.id + "\"");
    for (auto& leg : t.legs)
      if (nets.count(leg.network_id) == 0)
        return fail(errc::invalid_spec, "task " + t.id + " is on network "
                                          + leg.network_id
                                          + ", which is not desired");
    tasks.emplace(t.id, &t);
  }
  auto pins = dir_.list();
  if (!pins)
    return pins.error();
  reconcile_report report;
  std::set<std::string> pinned_nets;
  std::set<std::string> pinned_tasks;
  for (auto& p : *pins) {
    auto parsed = parse_netns_name(p.name);
    status ok = ok_status();
    if (!p.mounted || !parsed) {
      ok = dir_.remove(p.name);
      report.removed_files.push_back(p.name);
    } else if (parsed->kind == netns_kind::sandbox) {
      // Made again by ensure_sandbox() from the assignments (its host link
      // goes with the tagged host devices below, its leg with the legs).
      sandbox_.reset();
      ok = dir_.remove(p.name);
      report.removed_files.push_back(p.name);
    } else if (parsed->kind == netns_kind::network) {
      if (nets.count(parsed->id) > 0) {
        pinned_nets.insert(parsed->id);
        continue;
      }
      networks_.erase(parsed->id);
      ok = unpin_network(parsed->id);
      report.removed_networks.push_back(parsed->id);
    } else {
      if (tasks.count(parsed->id) > 0) {
        pinned_tasks.insert(parsed->id);
        continue;
      }
      ok = remove_task(parsed->id, true); // exact: gone when we report
      report.removed_tasks.push_back(parsed->id);
    }
    if (!ok)
      return ok.error();
  }
  if (auto ok = remove_host_devices(report); !ok)
    return ok.error();
  adopt_removed_.clear();
  for (auto& n : desired.networks) {
    if (auto ok = ensure_network(n); !ok)
      return ok.error();
    if (pinned_nets.count(n.id) > 0)
      report.adopted_networks.push_back(n.id);
  }
  report.removed_devices.insert(report.removed_devices.end(),
                                adopt_removed_.begin(), adopt_removed_.end());
  adopt_removed_.clear();
  for (auto& t : desired.tasks)
    (pinned_tasks.count(t.id) > 0 ? report.adopted_tasks : report.missing_tasks)
      .push_back(t.id);
  desired_state adopted;
  for (auto& t : desired.tasks)
    if (pinned_tasks.count(t.id) > 0)
      adopted.tasks.push_back(t);
  if (auto ok = reconcile_legs(adopted, report); !ok)
    return ok.error();
  if (auto ok = reconcile_gateway(adopted, report); !ok)
    return ok.error();
  logger("dataplane")
    ->info(
      "reconciled networks_adopted={} networks_removed={} tasks_adopted={} "
      "tasks_removed={} tasks_missing={} devices_removed={}",
      report.adopted_networks.size(), report.removed_networks.size(),
      report.adopted_tasks.size(), report.removed_tasks.size(),
      report.missing_tasks.size(), report.removed_devices.size());
  return report;
}

// `desired.tasks`: the adopted tasks (pinned and desired).
status overlay::reconcile_legs(const desired_state& desired,
                               reconcile_report& report) {
  std::map<std::string, std::set<uint32_t>> wanted; // network -> task IPs
  for (auto& t : desired.tasks)
    for (auto& leg : t.legs)
      wanted[leg.network_id].insert(leg.address.addr.value);
  for (auto& [id, st] : networks_) {
    auto links = st.conn.links();
    if (!links)
      return links.error();
    auto& want = wanted[id];
    for (auto& x : *links) {
      if (x.kind != "veth")
        continue;
      auto parsed = parse_device_name(x.name);
      bool keep = parsed && parsed->tag == tag_
                  && parsed->kind == device_kind::task_leg
                  && want.count(parsed->value) > 0;
      if (keep)
        continue;
      if (auto ok = st.conn.delete_link(x.index);
          !ok && ok.error().code != errc::not_found)
        return ok;
      report.removed_devices.push_back(x.name);
    }
  }
  for (auto& t : desired.tasks)
    for (auto& leg : t.legs)
      if (auto ok = attach_task(t.id, leg); !ok)
        return ok;
  return ok_status();
}

status overlay::remove_host_devices(reconcile_report& report) {
  auto links = host_conn_.links();
  if (!links)
    return links.error();
  for (auto& x : *links) {
    auto parsed = parse_device_name(x.name);
    // The gateway's devices: reconcile_gateway() keeps or removes them.
    if (!parsed || parsed->tag != tag_
        || parsed->kind == device_kind::gateway_bridge
        || parsed->kind == device_kind::gateway_leg)
      continue;
    if (auto ok = host_conn_.delete_link(x.index);
        !ok && ok.error().code != errc::not_found)
      return ok;
    report.removed_devices.push_back(x.name);
  }
  return ok_status();
}

} // namespace actorswarm::os
