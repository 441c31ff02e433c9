#include "actors/dispatcher/assignments.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "actors/task/health.hpp"
#include "actors/task/task_state_machine.hpp"

namespace actorswarm::dispatcher {

bool is_assigned(const pb::Task& t) {
  return !t.node_id().empty() && t.status().state() >= pb::ASSIGNED
         && !task::is_terminal(t.status().state());
}

pb::Assignments full_assignments(const store::object_store& view,
                                 const std::string& node_id) {
  pb::Assignments out;
  out.set_full(true);
  for (auto& [id, t] : view.tasks()) {
    if (t->node_id() != node_id)
      continue;
    if (is_assigned(*t))
      *out.add_update() = *t;
    else
      out.add_kept(t->id());
  }
  return out;
}

std::unordered_map<std::string, pb::Assignments>
changed_assignments(const store::change_set& cs) {
  std::unordered_map<std::string, pb::Assignments> out;
  for (auto& c : cs.changes) {
    if (c.task_after && !c.task_after->node_id().empty()) {
      auto& t = *c.task_after;
      if (is_assigned(t))
        *out[t.node_id()].add_update() = t;
      else if (task::is_terminal(t.status().state()))
        out[t.node_id()].add_remove(t.id());
    } else if (!c.task_after && c.task_before
               && !c.task_before->node_id().empty()) {
      auto& a = out[c.task_before->node_id()];
      a.add_remove(c.task_before->id());
      a.add_deleted(c.task_before->id());
    }
  }
  return out;
}

std::string addr_host(const std::string& addr) {
  if (!addr.empty() && addr.front() == '[') {
    auto close = addr.find(']');
    return close == std::string::npos ? addr : addr.substr(1, close - 1);
  }
  auto colon = addr.find(':');
  if (colon == std::string::npos
      || addr.find(':', colon + 1) != std::string::npos)
    return addr; // no port, or a bare IPv6 address
  return addr.substr(0, colon);
}

namespace {

bool is_allocated(const pb::Network& n) {
  return n.vni() != 0 && !n.ipam().subnet().empty();
}

// Serving: running, healthy when it has a health check (docker: only
// healthy tasks count as up), and not asked to stop (SwarmKit removes a
// task from balancing when its desired state moves past RUNNING).
bool is_serving(const pb::Task& t) {
  return t.status().state() == pb::RUNNING && t.desired_state() <= pb::RUNNING
         && !t.node_id().empty()
         && (t.status().health() == pb::TaskStatus::HEALTHY
             || !task::has_health_check(t.spec().container()));
}

bool publishes_ingress(const pb::Service& s) {
  for (auto& p : s.endpoint().ports())
    if (p.publish_mode() == pb::PortConfig::INGRESS && p.published_port() != 0)
      return true;
  return false;
}

// The node's address on network `id` ("10.0.0.3/24"), or "".
std::string attachment_address(const pb::Node& n, const std::string& id) {
  for (auto& a : n.attachments())
    if (a.network_id() == id && !a.addresses().empty())
      return a.addresses(0);
  return {};
}

// The allocated ingress network, while some service publishes a port in
// ingress mode (the routing mesh is needed), or null.
const pb::Network* mesh_network(const store::object_store& view) {
  const pb::Network* in = nullptr;
  for (auto& [id, n] : view.networks())
    if (n->spec().ingress() && is_allocated(*n))
      in = n.get();
  if (in == nullptr)
    return nullptr;
  for (auto& [id, s] : view.services())
    if (publishes_ingress(*s))
      return in;
  return nullptr;
}

// The node's address on `mesh` (mesh_network), "" without one.
std::string own_ingress(const store::object_store& view,
                        const std::string& node_id, const pb::Network* mesh) {
  auto n = view.nodes().find(node_id);
  if (mesh == nullptr || n == view.nodes().end())
    return {};
  return attachment_address(*n->second, mesh->id());
}

// node_networks with mesh_network(view) and the node's address on it
// computed once by the caller (each is a scan of the view).
std::vector<pb::NodeNetwork> networks_for(const store::object_store& view,
                                          const std::string& node_id,
                                          const pb::Network* mesh,
                                          const std::string& own) {
  // The networks this node's tasks are on, and the ingress network while
  // the node needs its routing mesh.
  std::set<std::string> wanted;
  if (mesh != nullptr && !own.empty())
    wanted.insert(mesh->id());
  for (auto& [id, t] : view.tasks()) {
    if (t->node_id() != node_id || !is_assigned(*t))
      continue;
    for (auto& a : t->networks())
      if (!a.addresses().empty())
        wanted.insert(a.network_id());
  }
  std::map<std::string, pb::NodeNetwork> out;
  for (auto& id : wanted) {
    auto n = view.networks().find(id);
    if (n == view.networks().end() || !is_allocated(*n->second))
      continue;
    *out[id].mutable_network() = *n->second;
  }
  if (out.empty())
    return {};
  // The nodes' ingress sandboxes first (no task id), by node id: tasks on
  // ingress answer them.
  if (auto o = mesh ? out.find(mesh->id()) : out.end(); o != out.end()) {
    std::map<std::string, store::object_ptr<pb::Node>> nodes(
      view.nodes().begin(), view.nodes().end());
    for (auto& [id, n] : nodes) {
      auto addr = attachment_address(*n, mesh->id());
      auto host = addr_host(n->status().addr());
      if (addr.empty() || host.empty())
        continue;
      auto& p = *o->second.add_peers();
      p.set_address(addr);
      p.set_node_id(id);
      p.set_node_addr(host);
    }
  }
  // Peers, and the services' backends, sorted by task id.
  std::map<std::string, store::object_ptr<pb::Task>> tasks;
  for (auto& [id, t] : view.tasks())
    if (is_assigned(*t) && !t->networks().empty())
      tasks.emplace(t->id(), t);
  // service id -> network id -> backends
  std::map<std::string, std::map<std::string, std::vector<std::string>>>
    backends;
  for (auto& [id, t] : tasks) {
    auto node = view.nodes().find(t->node_id());
    auto host = node == view.nodes().end()
                  ? std::string{}
                  : addr_host(node->second->status().addr());
    for (auto& a : t->networks()) {
      auto o = out.find(a.network_id());
      if (o == out.end() || a.addresses().empty())
        continue;
      if (!host.empty()) {
        auto& p = *o->second.add_peers();
        p.set_task_id(t->id());
        p.set_address(a.addresses(0));
        p.set_node_id(t->node_id());
        p.set_node_addr(host);
        p.set_service_id(t->service_id());
        p.set_slot(t->slot() != 0 ? std::to_string(t->slot()) : t->node_id());
        p.set_running(is_serving(*t));
      }
      auto& b = backends[t->service_id()][a.network_id()];
      if (is_serving(*t))
        b.push_back(a.addresses(0));
    }
  }
  // Services, by id: those with a VIP on the network or a task on it.
  std::map<std::string, store::object_ptr<pb::Service>> services(
    view.services().begin(), view.services().end());
  for (auto& [sid, svc] : services) {
    std::map<std::string, std::string> vips; // network id -> vip
    for (auto& v : svc->endpoint().virtual_ips())
      vips[v.network_id()] = v.addr();
    auto b = backends.find(sid);
    for (auto& [nid, nn] : out) {
      auto v = vips.find(nid);
      const std::vector<std::string>* bs = nullptr;
      if (b != backends.end()) {
        auto i = b->second.find(nid);
        if (i != b->second.end())
          bs = &i->second;
      }
      bool mesh_ports = nn.network().spec().ingress()
                        && publishes_ingress(*svc);
      if (v == vips.end() && bs == nullptr && !mesh_ports)
        continue;
      auto& s = *nn.add_services();
      if (mesh_ports)
        for (auto& p : svc->endpoint().ports())
          if (p.publish_mode() == pb::PortConfig::INGRESS)
            *s.add_ports() = p;
      s.set_service_id(sid);
      s.set_name(svc->spec().name());
      s.set_dnsrr(svc->spec().endpoint().mode() == pb::EndpointSpec::DNSRR);
      if (v != vips.end())
        s.set_vip(v->second);
      if (bs != nullptr)
        for (auto& x : *bs)
          s.add_backends(x);
      for (auto& att : svc->spec().networks())
        if (att.target() == nid)
          for (auto& al : att.aliases())
            s.add_aliases(al);
    }
  }
  std::vector<pb::NodeNetwork> xs;
  xs.reserve(out.size());
  for (auto& [id, nn] : out)
    xs.push_back(std::move(nn));
  return xs;
}

} // namespace

std::string ingress_address(const store::object_store& view,
                            const std::string& node_id) {
  return own_ingress(view, node_id, mesh_network(view));
}

std::vector<pb::NodeNetwork> node_networks(const store::object_store& view,
                                           const std::string& node_id) {
  auto* mesh = mesh_network(view);
  return networks_for(view, node_id, mesh, own_ingress(view, node_id, mesh));
}

uint32_t data_path_port(const store::object_store& view) {
  auto c = view.cluster();
  return c ? c->spec().data_path_port() : 0;
}

std::string fill_networks(const store::object_store& view,
                          const std::string& node_id, pb::Assignments& as) {
  as.set_networks_set(true);
  as.clear_networks();
  auto* mesh = mesh_network(view);
  auto own = own_ingress(view, node_id, mesh);
  for (auto& n : networks_for(view, node_id, mesh, own))
    *as.add_networks() = std::move(n);
  as.set_data_path_port(data_path_port(view));
  as.set_ingress_address(own);
  as.clear_host_ports();
  std::map<std::string, store::object_ptr<pb::Task>> mine;
  for (auto& [id, t] : view.tasks())
    if (t->node_id() == node_id && t->endpoint().ports_size() != 0
        && is_assigned(*t) && t->desired_state() <= pb::RUNNING)
      mine.emplace(id, t);
  for (auto& [id, t] : mine)
    for (auto& p : t->endpoint().ports())
      if (p.publish_mode() == pb::PortConfig::HOST && p.published_port() != 0) {
        auto& x = *as.add_host_ports();
        x.set_task_id(id);
        *x.mutable_port() = p;
        x.set_on_networks(t->networks_size() != 0);
      }
  std::string digest;
  for (auto& n : as.networks())
    digest += n.SerializeAsString();
  for (auto& x : as.host_ports())
    digest += x.SerializeAsString();
  digest += std::to_string(as.data_path_port());
  digest += "/" + as.ingress_address();
  return digest;
}

bool touches_networks(const store::change_set& cs) {
  if (cs.reset)
    return true;
  // Cheap enough to run on every commit: tasks without networks (most
  // status reports) and node heartbeats move nothing here.
  auto on_networks = [](const store::object_ptr<pb::Task>& t) {
    return t && (t->networks_size() != 0 || t->endpoint().ports_size() != 0);
  };
  // A service on no network, with no VIP and no published port (the
  // ingress network) is in no node's network part: its updates (most
  // writes) must not make every session rescan every task.
  auto service_on_networks = [](const store::object_ptr<pb::Service>& s) {
    return s
           && (s->spec().networks_size() != 0
               || s->spec().endpoint().ports_size() != 0
               || s->endpoint().virtual_ips_size() != 0);
  };
  for (auto& c : cs.changes) {
    if (on_networks(c.task_before) || on_networks(c.task_after)
        || service_on_networks(c.service_before)
        || service_on_networks(c.service_after) || c.network_before
        || c.network_after)
      return true;
    if ((c.node_before || c.node_after)
        && (!c.node_before || !c.node_after
            || c.node_before->status().addr() != c.node_after->status().addr()
            || c.node_before->attachments_size()
                 != c.node_after->attachments_size()
            || (c.node_after->attachments_size() != 0
                && c.node_before->attachments(0).SerializeAsString()
                     != c.node_after->attachments(0).SerializeAsString())))
      return true;
    if ((c.cluster_before || c.cluster_after)
        && (!c.cluster_before || !c.cluster_after
            || c.cluster_before->spec().data_path_port()
                 != c.cluster_after->spec().data_path_port()))
      return true;
  }
  return false;
}

namespace {

// A RUNNING task's health moved (the state stays): a report to keep.
bool is_health_report(const pb::TaskStatus& stored, const pb::TaskStatus& x) {
  return stored.state() == pb::RUNNING && x.state() == pb::RUNNING
         && stored.health() != x.health();
}

} // namespace

std::vector<pb::StoreAction>
status_actions(const store::object_store& view,
               const std::vector<pb::TaskStatusUpdate>& xs) {
  std::vector<pb::StoreAction> out;
  for (auto& x : xs) {
    auto i = view.tasks().find(x.task_id());
    if (i == view.tasks().end())
      continue;
    if (!task::can_transition(i->second->status().state(), x.status().state())
        && !is_health_report(i->second->status(), x.status()))
      continue; // SwarmKit: tasks never move backwards; drop old reports
    pb::StoreAction a;
    a.set_kind(pb::StoreAction::UPDATE);
    a.set_status_only(true);
    a.mutable_task()->set_id(x.task_id());
    *a.mutable_task()->mutable_status() = x.status();
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<pb::TaskStatusUpdate> own_updates(const store::object_store& view,
                                              const pb::StatusBatch& b) {
  std::vector<pb::TaskStatusUpdate> out;
  for (const auto& u : b.updates()) {
    auto i = view.tasks().find(u.task_id());
    if (i != view.tasks().end() && i->second->node_id() == b.node_id())
      out.push_back(u);
  }
  return out;
}

bool session_moved(const pb::Node& node, const std::string& session_id) {
  const auto& stored = node.status().session_id();
  return !stored.empty() && stored != session_id;
}

pb::StoreAction node_status_action(const pb::Node& node,
                                   pb::NodeStatus::State state,
                                   const std::string& message) {
  pb::StoreAction a;
  a.set_kind(pb::StoreAction::UPDATE);
  a.set_status_only(true);
  auto& n = *a.mutable_node();
  n.set_id(node.id());
  *n.mutable_description() = node.description();
  *n.mutable_status() = node.status();
  n.mutable_status()->set_state(state);
  n.mutable_status()->set_message(message);
  return a;
}

} // namespace actorswarm::dispatcher
