#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "messages/log.hpp"
#include "os/overlay.hpp"

// The node's ingress sandbox: the routing mesh's namespace between the host
// namespace (published ports arrive there) and the ingress network (the
// tasks behind the ports, on any node). Docker's ingress_sbox.

namespace actorswarm::os {

namespace {

constexpr const char* sandbox_name = "ingress";
constexpr const char* sandbox_link_ifname = "eth1";
constexpr int loopback_index = 1;

// Writes `value` to the sysctl file `path` (/proc/sys/...) as seen from
// inside `ns`: /proc/sys/net belongs to the namespace of the thread that
// opens it.
status write_sysctl(const netns& ns, const std::string& path,
                    const char* value) {
  int err = 0;
  auto entered = run_in_netns(ns, [&] {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      return;
    }
    auto n = ::write(fd, value, std::strlen(value));
    if (n < 0)
      err = errno;
    ::close(fd);
  });
  if (!entered)
    return entered;
  if (err != 0)
    return fail(errc::internal, "write " + path + ": " + std::strerror(err));
  return ok_status();
}

} // namespace

std::string overlay::sandbox_netns_path() const {
  return dir_.pin_path(sandbox_netns_name(sandbox_name));
}

result<sandbox_info> overlay::ensure_sandbox(const sandbox_desc& desc) {
  if (desc.link.length > 30)
    return fail(errc::invalid_spec, "ingress link subnet "
                                      + to_string(desc.link)
                                      + " is too small (at most /30)");
  auto net = networks_.find(desc.network_id);
  if (net == networks_.end())
    return fail(errc::not_found, "network " + desc.network_id + " not found");
  if (!contains(net->second.desc.subnet, desc.address.addr)
      || desc.address.length != net->second.desc.subnet.length)
    return fail(errc::invalid_spec, "address " + to_string(desc.address)
                                      + " is not in subnet "
                                      + to_string(net->second.desc.subnet));
  sandbox_info out;
  out.netns_path = sandbox_netns_path();
  out.host_device = ingress_link_name(tag_);
  auto base = desc.link.addr.value & prefix_mask(desc.link.length);
  out.host_address = {base + 1};
  out.sandbox_address = {base + 2};
  // A different address than last time: its old leg goes first.
  if (sandbox_ && !(sandbox_->address == desc.address))
    if (auto ok = remove_sandbox(); !ok)
      return ok.error();
  auto name = sandbox_netns_name(sandbox_name);
  auto ns = dir_.open(name);
  if (!ns) {
    if (auto ok = dir_.remove(name); !ok) // a stale pin file
      return ok.error();
    ns = dir_.create(name);
    if (!ns)
      return ns.error();
  }
  auto conn = netlink_conn::open(*ns);
  if (!conn)
    return conn.error();
  if (auto ok = conn->set_up(loopback_index, true); !ok)
    return ok.error();
  task_leg leg;
  leg.network_id = desc.network_id;
  leg.address = desc.address;
  leg.ifname = "eth0";
  if (auto ok = attach_leg(*ns, *conn, leg); !ok)
    return ok.error();
  sandbox_ = desc;
  // The link to the host namespace: made again when either end is missing.
  auto host_end = host_conn_.link(out.host_device);
  auto inner_end = conn->link(sandbox_link_ifname);
  if (!host_end || !inner_end) {
    if (host_end)
      if (auto ok = host_conn_.delete_link(host_end->index);
          !ok && ok.error().code != errc::not_found)
        return ok.error();
    veth_spec spec;
    spec.name = out.host_device;
    spec.mtu = mtu_;
    spec.peer_name = sandbox_link_ifname;
    spec.peer_ns = &*ns;
    if (auto ok = host_conn_.create_veth(spec); !ok)
      return ok.error();
    host_end = host_conn_.link(out.host_device);
    inner_end = conn->link(sandbox_link_ifname);
    if (!host_end)
      return host_end.error();
    if (!inner_end)
      return inner_end.error();
  }
  if (auto ok = host_conn_.add_address(host_end->index,
                                       {out.host_address, desc.link.length});
      !ok)
    return ok.error();
  if (auto ok = host_conn_.set_up(host_end->index, true); !ok)
    return ok.error();
  if (auto ok = conn->add_address(inner_end->index,
                                  {out.sandbox_address, desc.link.length});
      !ok)
    return ok.error();
  if (auto ok = conn->set_up(inner_end->index, true); !ok)
    return ok.error();
  if (auto ok = conn->set_default_route(out.host_address, inner_end->index);
      !ok)
    return ok.error();
  // What the mesh's rules need (docs/packet-rules.md): forwarding in both
  // namespaces, and 127.0.0.1 sources allowed out of the host end (its
  // guard rule drops the reverse).
  for (auto& [where, path] :
       {std::pair<const netns*, std::string>{&host_,
                                             "/proc/sys/net/ipv4/ip_forward"},
        {&*ns, "/proc/sys/net/ipv4/ip_forward"},
        {&host_,
         "/proc/sys/net/ipv4/conf/" + out.host_device + "/route_localnet"}})
    if (auto ok = write_sysctl(*where, path, "1"); !ok)
      return ok.error();
  logger("dataplane")
    ->debug("ingress sandbox ready address={} link={}", to_string(desc.address),
            out.host_device);
  return out;
}

status overlay::remove_sandbox() {
  auto link = host_conn_.link(ingress_link_name(tag_));
  if (link)
    if (auto ok = host_conn_.delete_link(link->index);
        !ok && ok.error().code != errc::not_found)
      return ok;
  if (sandbox_) {
    auto net = networks_.find(sandbox_->network_id);
    if (net != networks_.end()) {
      auto leg = net->second.conn.link(task_leg_name(tag_,
                                                     sandbox_->address.addr));
      if (leg)
        if (auto ok = net->second.conn.delete_link(leg->index);
            !ok && ok.error().code != errc::not_found)
          return ok;
    }
    sandbox_.reset();
  }
  return dir_.remove(sandbox_netns_name(sandbox_name));
}

} // namespace actorswarm::os
