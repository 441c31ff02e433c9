#include "actors/network/network_plane.hpp"

#include "messages/log.hpp"

// The network plane's part of the gateway (the tasks' way out, Docker's
// docker_gwbridge; os/overlay.hpp): which tasks get a leg, its address, and
// the gateway removed with the last one.

namespace actorswarm::network {

bool wants_gateway(const std::map<std::string, network_need>& needs,
                   const std::vector<std::string>& networks) {
  for (auto& id : networks)
    if (auto i = needs.find(id); i != needs.end() && !i->second.internal)
      return true;
  return false;
}

gateway_pool& network_plane::pool() {
  if (!pool_)
    pool_.emplace(dp_.gateway_subnet());
  return *pool_;
}

// wants_gateway, on a node whose gateway is on (the data plane's subnet
// has a prefix length; os::gateway_off has none).
bool network_plane::gets_gateway(
  const std::map<std::string, network_need>& needs,
  const std::vector<std::string>& networks) const {
  return dp_.gateway_subnet().length != 0 && wants_gateway(needs, networks);
}

// With a gateway leg, the default route goes there, not to eth0's network.
void network_plane::route_via_gateway(
  const std::map<std::string, network_need>& needs,
  std::vector<os::task_leg>& legs) const {
  std::vector<std::string> ids;
  for (auto& l : legs)
    ids.push_back(l.network_id);
  if (!gets_gateway(needs, ids))
    return;
  for (auto& l : legs)
    l.default_route = false;
}

status network_plane::attach_gateway(const std::string& task_id,
                                     local_task& lt) {
  if (!lt.gateway) {
    auto addr = pool().take();
    if (!addr)
      return addr.error();
    // The last interface, after the network legs.
    lt.gateway = os::gateway_leg{*addr, "eth" + std::to_string(lt.legs.size())};
  }
  gateway_on_ = true;
  auto st = dp_.attach_gateway(task_id, *lt.gateway);
  if (!st) {
    pool().release(lt.gateway->address.addr);
    lt.gateway.reset();
  }
  return st;
}

status network_plane::drop_gateway_if_unused() {
  if (!gateway_on_)
    return ok_status();
  for (auto& [id, t] : tasks_)
    if (t.gateway)
      return ok_status();
  gateway_on_ = false;
  return dp_.remove_gateway();
}

// After the first reconcile: the adopted tasks' legs (their addresses are
// taken again), and a leg for each local task that should have one and has
// none (its leg was lost with a crash). A task prepared before the first
// full set may have been given an address an adopted task held: the os
// layer then replaced that leg, and the adopted task gets a new one here.
status network_plane::adopt_gateways(
  const os::reconcile_report& rep,
  const std::map<std::string, network_need>& needs) {
  for (auto& [id, leg] : rep.gateway_legs) {
    auto t = tasks_.find(id);
    if (t == tasks_.end() || !pool().mark(leg.address.addr))
      continue;
    t->second.gateway = leg;
    gateway_on_ = true;
  }
  status first = ok_status();
  for (auto& [id, t] : tasks_) {
    if (t.gateway || !gets_gateway(needs, t.networks))
      continue;
    if (auto st = attach_gateway(id, t); !st && first)
      first = st;
  }
  return first;
}

} // namespace actorswarm::network
