#include "actors/allocator/allocator_core.hpp"

namespace actorswarm::allocator {

namespace {

std::string bytes_of(const pb::Endpoint& e) {
  return e.SerializeAsString();
}

} // namespace

void allocator_core::configure(const store::object_ptr<pb::Cluster>& c) {
  ipam_config cfg;
  if (c) {
    auto x = config_of(c->spec());
    if (x)
      cfg = *x;
    else
      warnings_.push_back("cluster address pool: " + x.error().message
                          + "; using the defaults");
  }
  auto ip = ipam::make(cfg);
  if (!ip) {
    warnings_.push_back("cluster address pool: " + ip.error().message
                        + "; using the defaults");
    ip = ipam::make({});
  }
  alloc_.emplace(std::move(*ip));
}

std::vector<std::string>
allocator_core::restore(const store::object_store& view) {
  configure(view.cluster());
  std::vector<std::string> out;
  auto add = [&out](std::vector<std::string> xs) {
    out.insert(out.end(), xs.begin(), xs.end());
  };
  // Networks first: services' VIPs and tasks' addresses live in them.
  for (auto& [id, n] : view.networks()) {
    if (auto line = alloc_->restore_network(*n); !line.empty())
      out.push_back(std::move(line));
    if (!network_allocated(*n))
      networks_[n->id()] = n;
  }
  for (auto& [id, s] : view.services()) {
    add(alloc_->restore_service(*s));
    services_[s->id()] = s;
    dirty_services_.insert(s->id());
    if (publishes_ingress(s->spec()))
      publishing_.insert(s->id());
  }
  for (auto& [id, t] : view.tasks()) {
    add(alloc_->restore_task(*t));
    if (t->status().state() == pb::NEW)
      fresh_[t->id()] = t;
  }
  // Nodes last; which of them lack their ingress address is worked out on
  // the first next_batch (refresh_nodes), once the ingress network is known.
  for (auto& [id, n] : view.networks())
    if (n->spec().ingress() && network_allocated(*n))
      ingress_ = n->id();
  for (auto& [id, n] : view.nodes()) {
    add(alloc_->restore_node(*n));
    nodes_[n->id()] = n;
  }
  return out;
}

void allocator_core::note(const store::change& c) {
  if (c.cluster_after && !c.cluster_before && alloc_
      && alloc_->addresses().network_count() == 0 && alloc_->task_count() == 0
      && alloc_->node_count() == 0)
    configure(c.cluster_after); // swarm init's settings, before any use
  if (c.network_after || c.network_before)
    note_ingress(c);
  if (c.network_after) {
    if (network_allocated(*c.network_after)) {
      networks_.erase(c.network_after->id());
      freed_ = true; // a service or task may have waited for it
    } else {
      networks_[c.network_after->id()] = c.network_after;
    }
  } else if (c.network_before) {
    networks_.erase(c.network_before->id());
    freed_ |= alloc_->release_network(c.network_before->id());
  }
  if (c.service_after) {
    services_[c.service_after->id()] = c.service_after;
    dirty_services_.insert(c.service_after->id());
  } else if (c.service_before) {
    auto& id = c.service_before->id();
    services_.erase(id);
    dirty_services_.erase(id);
    failed_services_.erase(id);
    freed_ |= alloc_->release_service(id);
  }
  if (c.task_after || c.task_before)
    note_task(c);
  if (c.node_after || c.node_before)
    note_node(c);
  if (c.service_after && publishes_ingress(c.service_after->spec()))
    publishing_.insert(c.service_after->id());
  else if (c.service_after || c.service_before)
    publishing_.erase(c.service_after ? c.service_after->id()
                                      : c.service_before->id());
}

void allocator_core::note_ingress(const store::change& c) {
  if (c.network_after) {
    if (c.network_after->spec().ingress()
        && network_allocated(*c.network_after))
      ingress_ = c.network_after->id();
  } else if (c.network_before->id() == ingress_) {
    ingress_.clear(); // nodes keep their stale attachment until a new one
  }
}

void allocator_core::note_node(const store::change& c) {
  if (!c.node_after) {
    auto& id = c.node_before->id();
    nodes_.erase(id);
    node_todo_.erase(id);
    node_proposed_.erase(id);
    node_blocked_.erase(id);
    last_error_.erase("node " + id);
    freed_ |= alloc_->release_node(id);
    return;
  }
  auto& n = c.node_after;
  auto& id = n->id();
  nodes_[id] = n;
  node_proposed_.erase(id); // a newer version: it may be proposed again
  if (!alloc_->node_allocated(*n) && !alloc_->node_held(id)) {
    // An address this leader does not hold (a predecessor's proposal that
    // committed after this leader's restore): take it rather than hand it
    // out again; a conflict leaves the node to get a new one.
    for (auto& line : alloc_->restore_node(*n))
      warnings_.push_back("node address conflict: " + line);
  }
  if (alloc_->node_allocated(*n)) {
    node_todo_.erase(id);
    node_blocked_.erase(id);
  } else if (node_blocked_.count(id) == 0) {
    node_todo_.insert(id);
  }
}

void allocator_core::note_task(const store::change& c) {
  auto& id = c.task_after ? c.task_after->id() : c.task_before->id();
  if (c.task_after && c.task_after->status().state() == pb::NEW) {
    fresh_[id] = c.task_after;
    blocked_.erase(id);
    return;
  }
  fresh_.erase(id);
  blocked_.erase(id);
  // Removed, or dead (SwarmKit's taskDead): its addresses go back.
  if (!c.task_after || task_dead(*c.task_after))
    freed_ |= alloc_->release_task(id);
}

void allocator_core::retry_blocked() {
  if (!freed_)
    return;
  freed_ = false;
  for (auto& [id, t] : blocked_)
    fresh_.emplace(id, t);
  blocked_.clear();
  node_todo_.insert(node_blocked_.begin(), node_blocked_.end());
  node_blocked_.clear();
  dirty_services_.insert(failed_services_.begin(), failed_services_.end());
  failed_services_.clear();
}

std::optional<pb::StoreBatch> allocator_core::next_batch(int64_t now_ns) {
  if (!alloc_)
    configure(nullptr);
  retry_blocked();
  refresh_nodes();
  pb::StoreBatch b;
  b.set_proposed_at_ns(now_ns);
  // Nodes in a batch of their own (see the header), taking turns with the
  // rest so that neither waits for the other to run out of work.
  if (std::exchange(nodes_turn_, false)) {
    allocate_nodes(b);
    if (b.actions_size() > 0)
      return b;
  }
  // In SwarmKit's order: networks, then the services on them, then tasks.
  allocate_networks(b);
  allocate_services(b);
  allocate_tasks(b, now_ns);
  if (b.actions_size() > 0) {
    nodes_turn_ = true;
    return b;
  }
  allocate_nodes(b);
  if (b.actions_size() > 0)
    return b;
  return std::nullopt;
}

bool allocator_core::ingress_ready() const {
  // Allocated in the store, not only held: a node's attachment never names
  // a network whose subnet is not written yet.
  return !ingress_.empty() && ingress_ == alloc_->ingress_id();
}

void allocator_core::refresh_nodes() {
  if (!ingress_ready() || nodes_for_ == ingress_)
    return;
  // A new ingress network (or the first look after restore): every node
  // without an address on it is to do.
  nodes_for_ = ingress_;
  node_todo_.clear();
  node_proposed_.clear();
  node_blocked_.clear();
  for (auto& [id, n] : nodes_)
    if (!alloc_->node_allocated(*n))
      node_todo_.insert(id);
}

void allocator_core::allocate_networks(pb::StoreBatch& b) {
  // A network that fails (its pool exhausted) stays to be tried again on
  // the next batch; few networks wait, and a try costs one pool search.
  for (auto it = networks_.begin(); it != networks_.end();) {
    auto& [id, n] = *it;
    auto r = alloc_->allocate_network(*n);
    if (!r) {
      auto& last = last_error_[id];
      if (last != r.error().message)
        warnings_.push_back("network " + n->spec().name() + " (" + id
                            + "): " + r.error().message);
      last = r.error().message;
      ++it;
      continue;
    }
    last_error_.erase(id);
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::UPDATE);
    *a->mutable_network() = std::move(*r);
    it = networks_.erase(it);
  }
}

void allocator_core::allocate_services(pb::StoreBatch& b) {
  for (auto& id : dirty_services_) {
    auto it = services_.find(id);
    if (it == services_.end())
      continue;
    auto& s = *it->second;
    auto r = alloc_->allocate_service(s);
    if (!r) {
      failed_services_.insert(id);
      auto& last = last_error_[id];
      if (last != r.error().message)
        warnings_.push_back("service " + s.spec().name() + " (" + id
                            + "): " + r.error().message);
      last = r.error().message;
      continue;
    }
    last_error_.erase(id);
    if (endpoint_empty(*r) ? endpoint_empty(s.endpoint())
                           : bytes_of(*r) == bytes_of(s.endpoint()))
      continue;
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::UPDATE);
    auto& x = *a->mutable_service() = s;
    *x.mutable_endpoint() = std::move(*r);
  }
  dirty_services_.clear();
}

void allocator_core::allocate_tasks(pb::StoreBatch& b, int64_t now_ns) {
  for (auto& [id, t] : fresh_) {
    auto it = services_.find(t->service_id());
    auto* svc = it == services_.end() ? nullptr : it->second.get();
    // A service whose (new) endpoint failed: its tasks wait for it, rather
    // than join networks its held endpoint does not match.
    auto r = svc && failed_services_.count(svc->id()) != 0
               ? result<pb::Task>{fail(errc::refused,
                                       "service " + svc->spec().name() + ": "
                                         + last_error_[svc->id()])}
               : alloc_->allocate_task(*t, svc);
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::UPDATE);
    auto& x = *a->mutable_task();
    if (r) {
      x = std::move(*r);
      x.mutable_status()->set_state(pb::PENDING);
      x.mutable_status()->set_message("pending task scheduling");
      x.mutable_status()->clear_err();
      x.mutable_status()->set_timestamp_ns(now_ns);
      continue;
    }
    // SwarmKit: the task stays where it is with the reason in its status,
    // written once; it is tried again when resources free up.
    auto err = "network allocation failed: " + r.error().message;
    blocked_[id] = t;
    if (t->status().err() == err) {
      b.mutable_actions()->RemoveLast();
      continue;
    }
    x = *t;
    x.mutable_status()->set_err(err);
    x.mutable_status()->set_message("pending network allocation");
    x.mutable_status()->set_timestamp_ns(now_ns);
  }
  fresh_.clear();
}

void allocator_core::allocate_nodes(pb::StoreBatch& b) {
  if (!ingress_ready() || (publishing_.empty() && !nodes_always_))
    return;
  for (auto it = node_todo_.begin();
       it != node_todo_.end() && b.actions_size() < node_batch_max;) {
    auto& id = *it;
    if (node_proposed_.count(id) != 0) {
      ++it; // waiting for the change that shows it, or a newer version
      continue;
    }
    auto n = nodes_.find(id);
    if (n == nodes_.end()) {
      it = node_todo_.erase(it);
      continue;
    }
    auto key = "node " + id;
    auto r = alloc_->allocate_node(*n->second);
    if (!r) {
      auto& last = last_error_[key];
      if (last != r.error().message)
        warnings_.push_back("node " + n->second->description().hostname() + " ("
                            + id + "): " + r.error().message);
      last = r.error().message;
      node_blocked_.insert(id);
      it = node_todo_.erase(it);
      continue;
    }
    last_error_.erase(key);
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::UPDATE);
    *a->mutable_node() = std::move(*r);
    node_proposed_.insert(id);
    ++it;
  }
}

} // namespace actorswarm::allocator
