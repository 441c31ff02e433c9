#include "actors/logs/log_broker_actor.hpp"

#include <memory>

#include "caf/all.hpp"

#include "actors/logs/log_reader.hpp"
#include "actors/node/clock.hpp"
#include "messages/caf_error.hpp"
#include "messages/logs.pb.h"
#include "messages/type_ids.hpp"

namespace actorswarm::logs {

namespace {

/// A reply bigger than this is cut by the reader's bounds first: managers
/// are trusted, but one request must not make a frame of any size.
constexpr uint32_t request_lines_max = 10000;
constexpr uint64_t request_bytes_max = 8u * 1024 * 1024;

net::cluster_server_actor_type::behavior_type
reader_actor(net::cluster_server_actor_type::pointer,
             std::shared_ptr<task::task_logs> logs, node::clock* clk) {
  return {
    [=](rpc_atom, int32_t kind, const std::string&,
        const std::string& bytes) -> caf::result<std::string> {
      pb::NodeLogsRequest req;
      if (kind != pb::Envelope::LOGS || !req.ParseFromString(bytes))
        return make_error(errc::bad_request, "malformed logs request");
      req.set_lines_max(std::min(req.lines_max(), request_lines_max));
      req.set_bytes_max(std::min(req.bytes_max(), request_bytes_max));
      return read_node_logs(*logs, req, clk->now_ns()).SerializeAsString();
    },
  };
}

struct broker_state {
  log_broker_config cfg;
  std::string node_id;
  node_caller_actor_type transport;
  net::cluster_server_actor_type reader;
  static inline const char* name = "log_broker";
};

using broker_ptr = log_broker_actor_type::stateful_pointer<broker_state>;

/// One round being gathered.
struct fetch_round {
  pb::LogsFetchReply reply;
  int remaining = 0;
  caf::typed_response_promise<std::string> rp;

  void done() {
    if (--remaining == 0)
      rp.deliver(reply.SerializeAsString());
  }
};

// Asks node `i` of the round; its result lands in slot `i`.
void ask_node(broker_ptr self, const pb::NodeLogsFetch& f, int i,
              std::shared_ptr<fetch_round> r) {
  auto& st = self->state;
  auto deadline = std::chrono::milliseconds(st.cfg.node_deadline_ms);
  auto payload = f.request().SerializeAsString();
  auto on_reply = [r, i](const std::string& bytes) {
    auto& res = *r->reply.mutable_nodes(i);
    res.set_ok(res.mutable_reply()->ParseFromString(bytes));
    if (!res.ok())
      res.set_error("malformed logs reply");
    r->done();
  };
  auto on_error = [r, i](const caf::error& err) {
    auto& res = *r->reply.mutable_nodes(i);
    res.set_error(to_failure(err).message);
    r->done();
  };
  auto kind = static_cast<int32_t>(pb::Envelope::LOGS);
  if (f.node_id() == st.node_id || st.node_id.empty()) {
    self
      ->request(st.reader, deadline, rpc_atom::value, kind, st.node_id, payload)
      .then(on_reply, on_error);
  } else if (st.transport && !f.addr().empty()) {
    self
      ->request(st.transport, deadline, cluster_call_atom::value, f.addr(),
                kind, payload)
      .then(on_reply, on_error);
  } else {
    r->reply.mutable_nodes(i)->set_error("no address for node " + f.node_id());
    r->done();
  }
}

log_broker_actor_type::behavior_type
broker_actor(broker_ptr self, log_broker_config cfg, node::clock* clk) {
  self->state.cfg = std::move(cfg);
  auto logs = std::make_shared<task::task_logs>(self->state.cfg.tasks_dir,
                                                task::log_config{});
  if (self->state.cfg.detached_reader)
    self->state.reader = self->spawn<caf::detached + caf::linked>(reader_actor,
                                                                  logs, clk);
  else
    self->state.reader = self->spawn<caf::linked>(reader_actor, logs, clk);
  return {
    [=](logs_fetch_atom, const std::string& bytes) -> caf::result<std::string> {
      pb::LogsFetch f;
      if (!f.ParseFromString(bytes))
        return make_error(errc::bad_request, "malformed logs fetch");
      auto r = std::make_shared<fetch_round>();
      for (auto& n : f.nodes())
        r->reply.add_nodes()->set_node_id(n.node_id());
      if (f.nodes_size() == 0)
        return r->reply.SerializeAsString();
      r->remaining = f.nodes_size();
      r->rp = self->make_response_promise<std::string>();
      for (int i = 0; i < f.nodes_size(); ++i)
        ask_node(self, f.nodes(i), i, r);
      return r->rp;
    },
    [=](logs_node_atom, const std::string& id, node_caller_actor_type& t) {
      self->state.node_id = id;
      self->state.transport = std::move(t);
    },
    [=](rpc_atom, int32_t kind, std::string& sender,
        std::string& bytes) -> caf::result<std::string> {
      return self->delegate(self->state.reader, rpc_atom::value, kind,
                            std::move(sender), std::move(bytes));
    },
  };
}

} // namespace

log_broker_actor_type spawn_log_broker(caf::actor_system& sys,
                                       log_broker_config cfg,
                                       node::clock& clk) {
  return sys.spawn(broker_actor, std::move(cfg), &clk);
}

} // namespace actorswarm::logs
