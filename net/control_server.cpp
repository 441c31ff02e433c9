#include "net/control_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <utility>

#include "caf/all.hpp"

#include "actors/logs/log_session.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/control_frame.hpp"
#include "net/control_listen.hpp"

namespace actorswarm::net {

namespace {

pb::ControlReply error_reply(errc code, std::string msg) {
  pb::ControlReply out;
  out.set_code(static_cast<uint32_t>(code));
  out.set_error(std::move(msg));
  return out;
}

bool send_reply(int fd, const pb::ControlReply& r) {
  std::string buf;
  r.SerializeToString(&buf);
  return write_frame(fd, buf);
}

bool client_gone(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0)
    return false;
  return (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

/// Lines per reply frame of `service logs`.
constexpr size_t frame_lines_max = 1000;
/// Rounds of a `service logs` that does not follow, at most (each round
/// reads a bounded batch per node).
constexpr uint64_t logs_rounds_max = 1'000'000;

// What one `service logs` call uses.
struct logs_call {
  int fd;
  caf::scoped_actor& self;
  const control_handle& control;
  const control_server_config& cfg;
  const std::atomic<bool>& stop;
};

// The control actor's resolve of the request again (following): new tasks.
std::optional<pb::ControlReply> resolve(logs_call& c,
                                        const pb::ControlRequest& req) {
  std::optional<pb::ControlReply> out;
  c.self
    ->request(c.control, std::chrono::milliseconds(c.cfg.request_timeout_ms),
              control_atom::value, req)
    .receive(
      [&](pb::ControlReply& r) {
        if (r.code() == 0)
          out = std::move(r);
      },
      [](caf::error&) {});
  return out;
}

// One fetch round through the broker; every node fails if the broker does.
pb::LogsFetchReply fetch(logs_call& c, const pb::LogsFetch& f) {
  pb::LogsFetchReply out;
  if (f.nodes_size() == 0)
    return out;
  auto fail_all = [&](const std::string& why) {
    out.Clear();
    for (auto& n : f.nodes()) {
      auto& r = *out.add_nodes();
      r.set_node_id(n.node_id());
      r.set_error(why);
    }
  };
  if (!c.cfg.logs_broker) {
    fail_all("no log broker");
    return out;
  }
  c.self
    ->request(c.cfg.logs_broker,
              std::chrono::milliseconds(c.cfg.logs_round_timeout_ms),
              logs_fetch_atom::value, f.SerializeAsString())
    .receive(
      [&](std::string& bytes) {
        if (!out.ParseFromString(bytes))
          fail_all("malformed fetch reply");
      },
      [&](caf::error& err) { fail_all(caf::to_string(err)); });
  return out;
}

// Writes the lines that may go out now (and `warning`, if any), one frame
// per frame_lines_max lines; false when the client is gone.
bool flush(logs_call& c, logs::log_session& s, std::string warning) {
  // The session holds at most one bounded batch per node: this ends.
  for (uint64_t i = 0; i < logs_rounds_max; ++i) {
    auto lines = s.take(frame_lines_max);
    if (lines.empty() && warning.empty())
      return true;
    pb::ControlReply out;
    out.set_more(true);
    for (auto& l : lines)
      *out.add_log_lines() = std::move(l);
    out.set_text(std::exchange(warning, {}));
    if (!send_reply(c.fd, out))
      return false;
    if (lines.size() < frame_lines_max)
      return true;
  }
  return true;
}

// Waits up to `ms` for the client to hang up; true if it did.
bool wait_gone(int fd, int ms) {
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, ms) <= 0)
    return false;
  return (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

// Serves `service logs` (issue #11): rounds of fetches from the tasks'
// nodes, merged in time order; following, until the client goes. The first
// frame carries the service (docker's slot padding in the CLI); warnings
// (nodes that did not answer) go in a frame's `text`: following, as they
// come; else once, in the last frame.
void serve_logs(logs_call& c, const pb::ControlRequest& req,
                const pb::ControlReply& first) {
  bool follow = req.logs().follow();
  logs::log_session s{req.logs()};
  s.set_tasks(first);
  pb::ControlReply head;
  head.set_more(true);
  *head.mutable_services() = first.services();
  if (!send_reply(c.fd, head))
    return;
  std::vector<std::string> warnings;
  auto resolved = std::chrono::steady_clock::now();
  for (uint64_t round = 0; !c.stop && (follow || round < logs_rounds_max);
       ++round) {
    auto now = std::chrono::steady_clock::now();
    if (follow
        && now - resolved >= std::chrono::milliseconds(c.cfg.logs_resolve_ms)) {
      if (auto r = resolve(c, req))
        s.set_tasks(*r);
      resolved = now;
    }
    auto w = s.absorb(fetch(c, s.next_fetch()));
    warnings.insert(warnings.end(), w.begin(), w.end());
    std::string now_warning;
    if (follow && !warnings.empty())
      now_warning = logs::incomplete_stream(std::exchange(warnings, {}));
    if (!flush(c, s, std::move(now_warning)))
      return;
    if (!follow && s.done())
      break;
    if (follow
        && (client_gone(c.fd)
            || (!s.busy() && wait_gone(c.fd, c.cfg.logs_poll_ms))))
      return;
  }
  pb::ControlReply last;
  if (!warnings.empty())
    last.set_text(logs::incomplete_stream(warnings));
  send_reply(c.fd, last);
}

} // namespace

control_server::control_server(caf::actor_system& sys, control_handle control,
                               control_server_config cfg)
  : sys_(sys), control_(std::move(control)), cfg_(std::move(cfg)) {
  // nop
}

control_server::~control_server() {
  stop();
}

status control_server::start() {
  auto fd = listen_control_socket(cfg_.socket_path, cfg_.group);
  if (!fd)
    return fd.error();
  listen_fd_ = *fd;
  thread_ = std::thread{[this] { accept_loop(); }};
  return ok_status();
}

void control_server::stop() {
  if (stop_.exchange(true))
    return;
  if (listen_fd_ >= 0)
    ::shutdown(listen_fd_, SHUT_RDWR);
  if (thread_.joinable())
    thread_.join();
  {
    std::unique_lock<std::mutex> guard{conns_mu_};
    // Reads end; a reply being written still goes out.
    for (int fd : conns_)
      ::shutdown(fd, SHUT_RD);
    conns_done_.wait_for(guard,
                         std::chrono::milliseconds(cfg_.request_timeout_ms
                                                   + 1000),
                         [this] { return conns_.empty(); });
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(cfg_.socket_path.c_str());
  }
}

void control_server::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0)
      continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    if (active_ >= cfg_.connections_max) {
      send_reply(fd,
                 error_reply(errc::refused, "too many control connections"));
      ::close(fd);
      continue;
    }
    // A client that stops reading a reply holds its connection no longer
    // than an idle one.
    timeval tv{cfg_.idle_timeout_ms / 1000,
               (cfg_.idle_timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ++active_;
    {
      std::lock_guard<std::mutex> guard{conns_mu_};
      conns_.insert(fd);
    }
    std::thread{[this, fd] {
      serve(fd);
      std::lock_guard<std::mutex> guard{conns_mu_};
      ::close(fd);
      conns_.erase(fd);
      --active_;
      conns_done_.notify_all();
    }}.detach();
  }
}

void control_server::serve(int fd) {
  std::string buf;
  caf::scoped_actor self{sys_};
  frame_limits lim;
  lim.max_bytes = cfg_.request_size_max_bytes;
  lim.idle_timeout_ms = cfg_.idle_timeout_ms;
  lim.frame_deadline_ms = cfg_.frame_deadline_ms;
  while (!stop_) {
    auto st = read_frame(fd, buf, lim);
    if (st == frame_status::timeout)
      logger("control")->debug("control connection closed: no complete "
                               "request in time");
    if (st == frame_status::closed || st == frame_status::io_error
        || st == frame_status::timeout)
      return;
    if (st == frame_status::too_large) {
      send_reply(fd, error_reply(errc::bad_request,
                                 "control request larger than "
                                   + std::to_string(lim.max_bytes) + " bytes"));
      return;
    }
    pb::ControlRequest req;
    if (!req.ParseFromString(buf)) {
      send_reply(fd,
                 error_reply(errc::bad_request, "malformed control request"));
      return;
    }
    pb::ControlReply reply;
    self
      ->request(control_, std::chrono::milliseconds(cfg_.request_timeout_ms),
                control_atom::value, req)
      .receive([&](pb::ControlReply& r) { reply = std::move(r); },
               [&](caf::error& err) {
                 reply = error_reply(errc::timeout,
                                     "the daemon did not answer: "
                                       + caf::to_string(err));
               });
    if (req.has_logs() && reply.code() == 0) {
      logs_call call{fd, self, control_, cfg_, stop_};
      serve_logs(call, req, reply);
      return;
    }
    if (!send_reply(fd, reply))
      return;
  }
}

} // namespace actorswarm::net
