#include "net/control_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/task/task_logs.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/control_frame.hpp"
#include "net/control_listen.hpp"

namespace actorswarm::net {

namespace {

constexpr int follow_poll_ms = 100;

int64_t wall_now_ns() {
  auto t = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
}

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

// Serves `service logs`: the tail first, then (with --follow) new bytes.
void serve_logs(int fd, const pb::LogsRequest& req, const pb::ControlReply& r,
                const std::string& tasks_dir, const std::atomic<bool>& stop) {
  task::task_logs logs{tasks_dir, task::log_config{}};
  pb::ControlReply out;
  std::map<std::string, uint64_t> offsets;
  auto fill = [&](pb::LogLine& l, const pb::Task& t) {
    l.set_task_id(t.id());
    l.set_task_name(control::task_name(t));
    auto n = r.node_names().find(t.node_id());
    l.set_node_name(n == r.node_names().end() ? t.node_id() : n->second);
  };
  size_t n = req.tail() < 0 ? task::all_lines : static_cast<size_t>(req.tail());
  for (auto& t : r.tasks()) {
    auto lines = logs.tail(t.id(), n, wall_now_ns());
    if (lines) {
      for (auto& x : *lines) {
        auto& l = *out.add_log_lines();
        fill(l, t);
        l.set_text(x.text);
        l.set_timestamp_ns(x.time_ns);
        offsets[t.id()] = std::max(offsets[t.id()],
                                   x.offset + x.text.size() + 1);
      }
    }
    if (auto c = logs.read_from(t.id(), 0, 0); c)
      offsets[t.id()] = std::max(offsets[t.id()], c->next_offset);
  }
  out.set_more(req.follow());
  if (!send_reply(fd, out) || !req.follow())
    return;
  std::map<std::string, std::string> partial;
  while (!stop && !client_gone(fd)) {
    pb::ControlReply chunk;
    chunk.set_more(true);
    for (auto& t : r.tasks()) {
      auto c = logs.read_from(t.id(), offsets[t.id()], 1 << 20);
      if (!c || c->bytes.empty())
        continue;
      offsets[t.id()] = c->next_offset;
      auto& buf = partial[t.id()];
      buf += c->bytes;
      size_t pos;
      while ((pos = buf.find('\n')) != std::string::npos) {
        auto& l = *chunk.add_log_lines();
        fill(l, t);
        l.set_text(buf.substr(0, pos));
        l.set_timestamp_ns(wall_now_ns());
        buf.erase(0, pos + 1);
      }
    }
    if (chunk.log_lines_size() > 0 && !send_reply(fd, chunk))
      return;
    ::poll(nullptr, 0, follow_poll_ms);
  }
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
      serve_logs(fd, req.logs(), reply, cfg_.tasks_dir, stop_);
      return;
    }
    if (!send_reply(fd, reply))
      return;
  }
}

} // namespace actorswarm::net
