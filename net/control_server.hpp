#pragma once

// The control socket acceptor (DESIGN.md, Control channel): a Unix domain
// socket whose file permissions (0660, root) authenticate the caller, as with
// Docker's socket. Each connection carries length-prefixed protobuf frames;
// each ControlRequest goes to the control actor as a message and its
// ControlReply is written back. `service logs` is served here: the control
// actor resolves the tasks, a log session (actors/logs/log_session.hpp)
// plans fetch rounds that the log broker sends to the tasks' nodes, and
// this side writes the merged lines out one frame at a time (a slow reader
// holds the next round back), following the service while the client stays
// connected. Not an actor: one accept thread and one thread per connection,
// each asking the control actor and the broker through a scoped_actor. The
// daemon (cli/daemon/run_daemon.cpp) owns it; it builds with the daemon
// component.

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "caf/fwd.hpp"

#include "actors/logs/log_broker_interface.hpp"
#include "actorswarm/control_handle.hpp"

#include "messages/result.hpp"

namespace actorswarm::net {

struct control_server_config {
  std::string socket_path;
  /// Reads the tasks' logs of `service logs` on every node (null: logs are
  /// refused, e.g. while the data dir is locked).
  logs::log_broker_actor_type logs_broker;
  /// `service logs`: the longest a fetch round may take (the broker's node
  /// deadline plus slack), and how often a follow asks again when nothing
  /// was new / re-resolves the service's tasks.
  int logs_round_timeout_ms = 10000;
  int logs_poll_ms = 200;
  int logs_resolve_ms = 1000;
  int request_timeout_ms = 60000;
  /// Group of the socket file (mode 0660); resolve_socket_group's result.
  gid_t group = 0;
  /// Connections served at once; one more gets "too many control
  /// connections" and is closed.
  int connections_max = 256;
  /// A connection with no byte for this long is closed (between requests).
  int idle_timeout_ms = 600000;
  /// A request whose first byte arrived must be complete within this.
  int frame_deadline_ms = 10000;
  /// Largest request accepted; a larger one is refused and closed.
  uint32_t request_size_max_bytes = 16u * 1024 * 1024;
};

class control_server {
public:
  control_server(caf::actor_system& sys, control_handle control,
                 control_server_config cfg);
  ~control_server();

  /// Binds the socket (listen_control_socket). Fails with a clear message
  /// when another daemon serves this path or the path is not a socket;
  /// removes a stale socket file left by a dead one.
  status start();

  /// Stops accepting, unlinks the socket, closes the open connections and
  /// waits for their threads (bounded by the request timeout): none of them
  /// outlives the server or touches the actor system after it. Idempotent.
  void stop();

  /// Connections being served now (a `logs --follow` holds one until its
  /// client goes).
  int connections() const {
    return active_;
  }

private:
  void accept_loop();
  void serve(int fd);

  caf::actor_system& sys_;
  control_handle control_;
  control_server_config cfg_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> active_{0};
  std::thread thread_;
  // The connections being served (their threads are detached).
  std::mutex conns_mu_;
  std::condition_variable conns_done_;
  std::set<int> conns_;
};

} // namespace actorswarm::net
