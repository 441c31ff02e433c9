#include "net/wire_port.hpp"

namespace actorswarm::net {

namespace {

class tls_port : public wire_port {
public:
  explicit tls_port(std::unique_ptr<tls_wire> w) : w_(std::move(w)) {
    // nop
  }
  conn_id dial(const std::string& addr, dial_options opts) override {
    return w_->dial(addr, std::move(opts));
  }
  void send(conn_id c, std::string frame) override {
    w_->send(c, std::move(frame));
  }
  void close(conn_id c) override {
    w_->close(c);
  }
  status reload(wire_credentials creds) override {
    return w_->reload(std::move(creds));
  }
  void set_revoked(std::vector<std::string> node_ids) override {
    w_->set_revoked(std::move(node_ids));
  }
  uint16_t port() const override {
    return w_->port();
  }

private:
  std::unique_ptr<tls_wire> w_;
};

} // namespace

wire_factory tls_wire_factory(wire_limits limits) {
  return
    [limits](wire_events& events, const std::optional<wire_credentials>& creds,
             const std::string& host,
             uint16_t port) -> result<std::unique_ptr<wire_port>> {
      auto w = tls_wire::start(events, limits, creds, creds ? host : "", port);
      if (!w)
        return w.error();
      return std::unique_ptr<wire_port>{new tls_port(std::move(*w))};
    };
}

} // namespace actorswarm::net
