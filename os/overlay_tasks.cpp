#include "os/overlay.hpp"

#include "messages/log.hpp"

// Tasks: their namespace and their legs on the networks' bridges.

namespace actorswarm::os {

namespace {

// The loopback device of a new network namespace is always index 1.
constexpr int loopback_index = 1;

} // namespace

result<netns> overlay::create_task(const std::string& task_id) {
  if (!valid_object_id(task_id))
    return fail(errc::invalid_spec, "invalid task id: \"" + task_id + "\"");
  auto name = task_netns_name(task_id);
  if (auto ns = dir_.open(name))
    return ns;
  if (auto ok = dir_.remove(name); !ok) // a stale pin file
    return ok.error();
  auto ns = dir_.create(name);
  if (!ns)
    return ns;
  auto conn = netlink_conn::open(*ns);
  status up = conn ? conn->set_up(loopback_index, true) : conn.error();
  if (!up) {
    dir_.remove(name);
    return up.error();
  }
  return ns;
}

status overlay::attach_task(const std::string& task_id, const task_leg& leg) {
  if (!valid_object_id(task_id))
    return fail(errc::invalid_spec, "invalid task id: \"" + task_id + "\"");
  if (networks_.count(leg.network_id) == 0)
    return fail(errc::not_found, "network " + leg.network_id + " not found");
  auto ns = dir_.open(task_netns_name(task_id));
  if (!ns)
    return fail(errc::not_found, "no network namespace for task " + task_id);
  auto conn = netlink_conn::open(*ns);
  if (!conn)
    return conn.error();
  return attach_leg(*ns, *conn, leg);
}

// A leg into `ns` (a task's or the sandbox's), `conn` connected to it.
status overlay::attach_leg(const netns& ns, netlink_conn& conn,
                           const task_leg& leg) {
  auto i = networks_.find(leg.network_id);
  if (i == networks_.end())
    return fail(errc::not_found, "network " + leg.network_id + " not found");
  auto& st = i->second;
  if (!contains(st.desc.subnet, leg.address.addr)
      || leg.address.length != st.desc.subnet.length)
    return fail(errc::invalid_spec, "address " + to_string(leg.address)
                                      + " is not in subnet "
                                      + to_string(st.desc.subnet));
  if (!valid_ifname(leg.ifname))
    return fail(errc::invalid_spec,
                "invalid interface name: \"" + leg.ifname + "\"");
  veth_spec spec;
  spec.name = task_leg_name(tag_, leg.address.addr);
  spec.mtu = mtu_;
  spec.master = st.bridge;
  spec.peer_name = leg.ifname;
  spec.peer_ns = &ns;
  spec.peer_mac = mac_from_ip(leg.address.addr);
  spec.set_peer_mac = true;
  auto made = st.conn.create_veth(spec);
  if (!made) {
    auto stale = st.conn.link(spec.name);
    if (!stale)
      return made;
    // The leg exists. Ours when the task's end is there with the task's MAC
    // (a repeated call, or after reconcile): adopt it. Otherwise it is left
    // from a removed task whose namespace has not died yet, and the address
    // was handed out again: replace it.
    auto mine = conn.link(leg.ifname);
    if (!mine || mine->mac != spec.peer_mac) {
      if (auto ok = st.conn.delete_link(stale->index);
          !ok && ok.error().code != errc::not_found)
        return ok;
      made = st.conn.create_veth(spec);
      if (!made)
        return made;
    }
  }
  auto configure = [&]() -> status {
    auto link = conn.link(leg.ifname);
    if (!link)
      return link.error();
    if (auto ok = conn.add_address(link->index, leg.address); !ok)
      return ok;
    if (auto ok = conn.set_up(link->index, true); !ok)
      return ok;
    if (leg.default_route)
      return conn.set_default_route(st.desc.gateway, link->index);
    return ok_status();
  };
  auto ok = configure();
  if (!ok && made) {
    // Leave nothing half made behind (deleting one end deletes both).
    if (auto link = st.conn.link(spec.name))
      st.conn.delete_link(link->index);
  }
  return ok;
}

status overlay::detach_task(const std::string& task_id, const task_leg& leg) {
  auto i = networks_.find(leg.network_id);
  if (i == networks_.end())
    return ok_status(); // its namespace, and the leg with it, is gone
  auto& st = i->second;
  auto link = st.conn.link(task_leg_name(tag_, leg.address.addr));
  if (!link)
    return link.error().code == errc::not_found ? ok_status()
                                                : status{link.error()};
  auto ok = st.conn.delete_link(link->index);
  if (!ok && ok.error().code != errc::not_found)
    return ok;
  logger("dataplane")
    ->debug("leg detached task={} network={}", task_id, leg.network_id);
  return ok_status();
}

status overlay::remove_task(const std::string& task_id, bool delete_legs) {
  if (!valid_object_id(task_id))
    return fail(errc::invalid_spec, "invalid task id: \"" + task_id + "\"");
  auto name = task_netns_name(task_id);
  if (!delete_legs)
    return dir_.remove(name);
  if (auto ns = dir_.open(name)) {
    // Delete the legs now: the kernel would only do it once the namespace
    // dies, asynchronously, and later still while a process is inside it.
    auto conn = netlink_conn::open(*ns);
    if (!conn)
      return conn.error();
    auto links = conn->links();
    if (!links)
      return links.error();
    for (auto& x : *links)
      if (x.kind == "veth")
        if (auto ok = conn->delete_link(x.index);
            !ok && ok.error().code != errc::not_found)
          return ok;
  }
  return dir_.remove(name);
}

} // namespace actorswarm::os
