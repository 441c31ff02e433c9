// A CAF program that embeds an actorswarm node (docs/embedding.md):
// it starts a one-node swarm in a temporary data dir, runs a service of two
// `sleep 30` host processes, waits until both run, removes the service and
// waits until its tasks stopped and left the store. Exit 0 on success, 1 on
// an error, 2 on a timeout.
//
//   embed_example [LISTEN_ADDR]     (default: a free 127.0.0.1 port)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "caf/all.hpp"

#include "actorswarm/embed.hpp"

namespace {

namespace as = actorswarm;
using std::chrono::steady_clock;

constexpr auto request_timeout = std::chrono::seconds{10};
constexpr auto phase_timeout = std::chrono::seconds{20};

// Tasks by id, as the events last described them.
using task_table = std::map<std::string, as::task_event>;

size_t running(const task_table& tasks) {
  size_t n = 0;
  for (auto& [id, t] : tasks)
    n += t.state == as::pb::RUNNING && !t.removed ? 1 : 0;
  return n;
}

// True once every task shut down and left the store (service rm done).
bool all_removed(const task_table& tasks) {
  for (auto& [id, t] : tasks)
    if (!t.removed)
      return false;
  return true;
}

// Applies task events to `tasks` until `done(tasks)` or the phase times out.
template <class Predicate>
bool await_tasks(caf::scoped_actor& self, task_table& tasks, Predicate done) {
  auto deadline = steady_clock::now() + phase_timeout;
  for (int i = 0; i < 10000 && !done(tasks); ++i) {
    auto left = deadline - steady_clock::now();
    if (left <= steady_clock::duration::zero())
      return false;
    bool timed_out = false;
    self->receive(
      [&](const as::task_event& ev) {
        std::printf("event: %s\n", as::to_string(ev).c_str());
        tasks[ev.task_id] = ev;
      },
      caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left)) >>
        [&] { timed_out = true; });
    if (timed_out)
      return false;
  }
  return done(tasks);
}

// Sends one control request; prints and returns false when it failed.
bool control(caf::scoped_actor& self, const as::node_handle& node,
             const as::pb::ControlRequest& req, as::pb::ControlReply* out) {
  bool ok = false;
  self->request(node.control, request_timeout, as::control_atom_v, req)
    .receive(
      [&](const as::pb::ControlReply& reply) {
        if (auto err = as::reply_error(reply))
          std::fprintf(stderr, "error: %s\n",
                       self->system().render(err).c_str());
        else
          ok = true;
        if (out != nullptr)
          *out = reply;
      },
      [&](const caf::error& err) {
        std::fprintf(stderr, "error: %s\n", self->system().render(err).c_str());
      });
  return ok;
}

int run(caf::actor_system& sys, as::node_handle& node,
        const as::node_options& opts) {
  auto spawned = as::spawn_node(sys, opts);
  if (!spawned) {
    std::fprintf(stderr, "error: %s\n", sys.render(spawned.error()).c_str());
    return 1;
  }
  node = std::move(*spawned);
  caf::scoped_actor self{sys};
  if (!control(self, node, as::swarm_init_request(), nullptr))
    return 1;
  // A blocking actor is not typed: it receives task_events as a subscriber.
  if (!as::watch_tasks(node, caf::actor_cast<as::task_subscriber>(self)))
    return 1;
  auto spec = as::host_service("web", 2, {"sleep", "30"});
  as::pb::ControlReply created;
  if (!control(self, node, as::service_create_request(spec), &created))
    return 1;
  std::printf("service web created: %s\n", created.text().c_str());
  task_table tasks;
  if (!await_tasks(self, tasks, [](auto& ts) { return running(ts) == 2; })) {
    std::fprintf(stderr, "timeout: 2 running tasks expected\n");
    return 2;
  }
  for (auto& [id, t] : tasks)
    if (t.state == as::pb::RUNNING)
      std::printf("running: %s on node %s\n", t.name.c_str(),
                  t.node_id.c_str());
  if (!control(self, node, as::service_remove_request("web"), nullptr))
    return 1;
  if (!await_tasks(self, tasks, all_removed)) {
    std::fprintf(stderr, "timeout: tasks still there after service rm\n");
    return 2;
  }
  std::printf("service web removed, no task running (%zu)\n", running(tasks));
  return 0;
}

// A loopback port that was free a moment ago (nothing listens on the cluster
// port yet, but a test must never use the default one).
std::string free_loopback_addr() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0)
      ::close(fd);
    return "127.0.0.1:42377";
  }
  ::close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

} // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // events interleave with logs
  auto tmp = std::filesystem::temp_directory_path() / "actorswarm-embed-XXXXXX";
  std::string dir = tmp.string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  as::node_options opts;
  opts.data_dir = dir + "/data";
  opts.listen_addr = argc > 1 ? argv[1] : free_loopback_addr();
  caf::actor_system_config cfg;
  as::register_types(cfg);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  int rc = 0;
  {
    as::node_handle node; // owns the data dir: outlives the actor system
    {
      caf::actor_system sys{cfg};
      rc = run(sys, node, opts);
      if (!as::stop_node(sys, node)) {
        std::fprintf(stderr, "timeout: node did not stop\n");
        rc = rc == 0 ? 2 : rc;
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
