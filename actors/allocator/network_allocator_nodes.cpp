#include "actors/allocator/network_allocator.hpp"

// network_allocator's nodes: one address each on the ingress network (the
// node's ingress sandbox, SwarmKit's allocateNode).

namespace actorswarm::allocator {

// -- restore ----------------------------------------------------------------

std::vector<std::string> network_allocator::restore_node(const pb::Node& n) {
  std::vector<std::string> out;
  for (auto& att : n.attachments()) {
    if (!ip_.network(att.network_id()))
      continue; // its network is gone: stale, replaced by allocate_node
    for (auto& text : att.addresses()) {
      auto a = address_of(text);
      auto st = a ? ip_.reserve_address(att.network_id(), *a)
                  : status{a.error()};
      if (st)
        nodes_[n.id()].push_back({att.network_id(), *a});
      else
        out.push_back("node " + n.id() + ": address " + text + " on network "
                      + att.network_id() + ": " + st.error().message);
    }
  }
  return out;
}

// -- allocation and release -------------------------------------------------

result<pb::Node> network_allocator::allocate_node(const pb::Node& n) {
  if (ingress_id_.empty())
    return fail(errc::not_found, "no ingress network is allocated");
  auto hit = nodes_.find(n.id());
  std::optional<address> mine;
  if (hit != nodes_.end())
    for (auto& x : hit->second)
      if (x.network_id == ingress_id_) {
        mine = x;
        break;
      }
  if (!mine) {
    auto a = ip_.allocate_address(ingress_id_);
    if (!a)
      return fail(a.error().code,
                  "ingress network " + ingress_id_ + ": " + a.error().message);
    mine = address{ingress_id_, *a};
  }
  // Anything else it held (a network no longer ingress, a second address
  // from a corrupted store) goes back.
  if (hit != nodes_.end())
    for (auto& x : hit->second)
      if (x.network_id != mine->network_id || x.addr != mine->addr)
        ip_.release_address(x.network_id, x.addr);
  nodes_[n.id()] = {*mine};
  pb::Node out = n;
  out.clear_attachments();
  auto& att = *out.add_attachments();
  att.set_network_id(ingress_id_);
  att.add_addresses(cidr_text(ingress_id_, mine->addr));
  return out;
}

bool network_allocator::node_allocated(const pb::Node& n) const {
  if (ingress_id_.empty() || n.attachments_size() != 1)
    return false;
  auto& att = n.attachments(0);
  if (att.network_id() != ingress_id_ || att.addresses_size() != 1
      || att.aliases_size() != 0)
    return false;
  auto it = nodes_.find(n.id());
  if (it == nodes_.end() || it->second.size() != 1)
    return false;
  auto& x = it->second.front();
  return x.network_id == ingress_id_
         && att.addresses(0) == cidr_text(ingress_id_, x.addr);
}

bool network_allocator::release_node(const std::string& id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end())
    return false;
  for (auto& x : it->second)
    ip_.release_address(x.network_id, x.addr);
  nodes_.erase(it);
  return true;
}

} // namespace actorswarm::allocator
