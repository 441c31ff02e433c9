#include "actors/network/data_plane.hpp"

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
    return ov_->reconcile(desired);
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
  os::overlay_config cfg_;
  os::netns host_;
  std::unique_ptr<os::overlay> ov_;
  std::map<std::string, std::unique_ptr<nft::session>> sessions_;
};

} // namespace

std::unique_ptr<data_plane> make_os_data_plane(os::overlay_config cfg) {
  return std::make_unique<os_data_plane>(std::move(cfg), os::netns{});
}

std::unique_ptr<data_plane> make_os_data_plane(os::overlay_config cfg,
                                               os::netns host) {
  return std::make_unique<os_data_plane>(std::move(cfg), std::move(host));
}

} // namespace actorswarm::network
