#include "net/tls_wire.hpp"

#include "net/tls_loop.hpp"

namespace actorswarm::net {

// The loop (net/tls_loop.hpp) does the work; this is the thread-safe face.
struct tls_wire::impl : tls_loop {
  using tls_loop::tls_loop;
};

result<std::unique_ptr<tls_wire>>
tls_wire::start(wire_events& events, wire_limits limits,
                std::optional<wire_credentials> creds,
                const std::string& listen_host, uint16_t listen_port) {
  auto x = std::make_unique<impl>(events, limits);
  if (creds) {
    auto id = make_tls_identity(*creds);
    if (!id)
      return id.error();
    x->identity = std::move(*id);
  }
  if (auto st = x->open(listen_host, listen_port); !st)
    return st.error();
  x->start();
  return std::unique_ptr<tls_wire>{new tls_wire(std::move(x))};
}

tls_wire::tls_wire(std::unique_ptr<impl> x) : impl_(std::move(x)) {
  // nop
}

tls_wire::~tls_wire() {
  impl_->stop();
}

uint16_t tls_wire::port() const {
  return impl_->lfd.load() >= 0 ? impl_->port.load() : 0;
}

status tls_wire::listen(const std::string& host, uint16_t port) {
  return impl_->listen(host, port);
}

conn_id tls_wire::dial(const std::string& addr, dial_options opts) {
  auto id = impl_->next_id++;
  impl_->post(wire_command{
    wire_command::kind::dial, id, addr, std::move(opts), {}});
  return id;
}

void tls_wire::send(conn_id c, std::string frame) {
  impl_->post(wire_command{
    wire_command::kind::send, c, std::move(frame), {}, {}});
}

void tls_wire::close(conn_id c) {
  impl_->post(wire_command{wire_command::kind::close, c, {}, {}, {}});
}

status tls_wire::reload(wire_credentials creds) {
  auto id = make_tls_identity(creds);
  if (!id)
    return id.error();
  std::lock_guard<std::mutex> guard{impl_->mu};
  impl_->identity = std::move(*id);
  return ok_status();
}

void tls_wire::set_revoked(std::vector<std::string> node_ids) {
  impl_->post(wire_command{
    wire_command::kind::revoke, 0, {}, {}, std::move(node_ids)});
}

std::string tls_wire::root_pem_of(conn_id c) const {
  std::lock_guard<std::mutex> guard{impl_->mu};
  auto i = impl_->roots.find(c);
  return i != impl_->roots.end() ? i->second : std::string{};
}

tls_wire::counters tls_wire::stats() const {
  return counters{impl_->open_count.load(), impl_->unauth.load(),
                  impl_->refused.load()};
}

} // namespace actorswarm::net
