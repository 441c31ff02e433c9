#include "actors/network/data_plane.hpp"

#include <sys/stat.h>

#include <map>

#include "os/nftables.hpp"

namespace actorswarm::network {

namespace {

class os_data_plane : public data_plane {
public:
  os_data_plane(os::overlay_config cfg, os::netns host)
    : cfg_(std::move(cfg)), host_(std::move(host)) {
    // nop
  }

  status start() override {
    if (host_.valid()) {
      auto dup = host_.dup();
      if (!dup)
        return dup.error();
      host_dup_ = std::move(*dup);
      host_fd_ = host_dup_.fd();
    }
    if (!host_.valid()) {
      auto host = os::netns::current();
      if (!host)
        return host.error();
      host_ = std::move(*host);
    }
    ov_ = std::make_unique<os::overlay>(cfg_, std::move(host_));
    return ov_->start();
  }

  result<os::reconcile_report>
  reconcile(const os::desired_state& desired) override {
    // The sandbox goes with the pins; a previous daemon's mesh rules in the
    // host namespace too (the assignments bring the mesh back if needed).
    auto rep = ov_->reconcile(desired);
    if (!rep)
      return rep;
    auto h = host_session();
    if (!h)
      return h.error();
    if (auto ok = nft::remove_mesh(**h, nullptr); !ok)
      return ok.error();
    return rep;
  }

  status ensure_network(const os::network_desc& desc) override {
    return ov_->ensure_network(desc);
  }

  status set_peers(const std::string& network_id,
                   const std::vector<os::peer>& peers) override {
    return ov_->set_peers(network_id, peers);
  }

  status remove_network(const std::string& network_id) override {
    return ov_->remove_network(network_id);
  }

  result<std::string> create_task(const std::string& task_id) override {
    auto ns = ov_->create_task(task_id);
    if (!ns)
      return ns.error();
    if (sessions_.count(task_id) == 0) {
      auto s = nft::session::open(ns->fd());
      if (!s)
        return s.error();
      sessions_.emplace(task_id, std::move(*s));
    }
    return ov_->task_netns_path(task_id);
  }

  status attach_task(const std::string& task_id,
                     const os::task_leg& leg) override {
    return ov_->attach_task(task_id, leg);
  }

  status remove_task(const std::string& task_id) override {
    sessions_.erase(task_id); // its socket holds the namespace
    return ov_->remove_task(task_id);
  }

  status apply_vip(const std::string& task_id,
                   const nft::vip_state& x) override {
    auto i = sessions_.find(task_id);
    if (i == sessions_.end()) { // adopted after a restart
      auto ns = os::netns::open(ov_->task_netns_path(task_id));
      if (!ns)
        return ns.error();
      auto s = nft::session::open(ns->fd());
      if (!s)
        return s.error();
      i = sessions_.emplace(task_id, std::move(*s)).first;
    }
    return nft::apply_vip(*i->second, x);
  }

  result<os::sandbox_info>
  ensure_sandbox(const os::sandbox_desc& desc) override {
    auto info = ov_->ensure_sandbox(desc);
    if (!info)
      return info;
    if (!sandbox_) {
      auto ns = os::netns::open(info->netns_path);
      if (!ns)
        return ns.error();
      auto s = nft::session::open(ns->fd());
      if (!s)
        return s.error();
      sandbox_ = std::move(*s);
    }
    return info;
  }

  status remove_sandbox() override {
    if (auto h = host_session(); !h) {
      return h.error();
    } else if (auto ok = nft::remove_mesh(**h, sandbox_.get()); !ok) {
      return ok;
    }
    sandbox_.reset(); // its socket holds the namespace
    return ov_->remove_sandbox();
  }

  result<nft::forward_report> apply_mesh(const nft::mesh_state& x) override {
    auto h = host_session();
    if (!h)
      return h.error();
    return nft::apply_mesh(**h, sandbox_.get(), x);
  }

  os::ipv4_prefix gateway_subnet() const override {
    return cfg_.gateway_subnet;
  }

  status attach_gateway(const std::string& task_id,
                        const os::gateway_leg& leg) override {
    return ov_->attach_gateway(task_id, leg);
  }

  status remove_gateway() override {
    return ov_->remove_gateway();
  }

private:
  result<nft::session*> host_session() {
    if (!host_nft_) {
      auto s = nft::session::open(host_fd_);
      if (!s)
        return s.error();
      host_nft_ = std::move(*s);
    }
    return host_nft_.get();
  }

  os::overlay_config cfg_;
  os::netns host_;
  os::netns host_dup_; // kept for host_fd_
  std::unique_ptr<os::overlay> ov_;
  std::map<std::string, std::unique_ptr<nft::session>> sessions_;
  // The host namespace's fd (-1: the daemon's own) and rules session, and
  // the sandbox's.
  int host_fd_ = -1;
  std::unique_ptr<nft::session> host_nft_;
  std::unique_ptr<nft::session> sandbox_;
};

} // namespace

status clear_data_plane(const std::string& netns_dir,
                        const std::string& node_id) {
  struct stat st {};
  if (netns_dir.empty() || ::stat(netns_dir.c_str(), &st) != 0)
    return ok_status(); // no network was ever set up here
  os::overlay_config cfg;
  cfg.netns_dir = netns_dir;
  cfg.node_id = node_id;
  cfg.underlay = {0x7f000001}; // only removes: no VXLAN device is made
  auto host = os::netns::current();
  if (!host)
    return host.error();
  os::overlay ov{cfg, std::move(*host)};
  if (auto ok = ov.start(); !ok)
    return ok;
  if (auto rep = ov.reconcile({}); !rep)
    return rep.error();
  if (auto ok = nft::remove_mesh(-1, -1); !ok)
    return ok;
  if (auto ok = nft::remove_gateway(-1); !ok)
    return ok;
  // Nothing is pinned any more: the directory's own mount point goes too,
  // so a node that left holds no mount and its data dir can be removed.
  os::netns_dir dir{netns_dir};
  if (auto pins = dir.list(); pins && pins->empty())
    return dir.release();
  return ok_status();
}

std::unique_ptr<data_plane> make_os_data_plane(os::overlay_config cfg) {
  return std::make_unique<os_data_plane>(std::move(cfg), os::netns{});
}

std::unique_ptr<data_plane> make_os_data_plane(os::overlay_config cfg,
                                               os::netns host) {
  return std::make_unique<os_data_plane>(std::move(cfg), std::move(host));
}

} // namespace actorswarm::network
