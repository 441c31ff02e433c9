#include "actors/control/control_actor.hpp"

#include <functional>
#include <optional>
#include <random>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::control {

namespace {

constexpr auto store_timeout = std::chrono::seconds(30);

const char* not_manager_text
  = "This node is not a swarm manager. Use \"actorswarm swarm init\" or "
    "\"actorswarm swarm join\" to connect this node to swarm and try again.";

struct control_state {
  caf::actor node;
  caf::actor store;
  std::string node_id;
  store::object_store view;
  std::mt19937_64 gen{std::random_device{}()};
  node::clock* clk = nullptr;
  static inline const char* name = "control";
};

using control_actor_t = caf::stateful_actor<control_state>;
using reply_t = caf::result<pb::ControlReply>;

using control::error_reply;

pb::ControlReply error_reply(errc code, std::string msg) {
  return error_reply(failure{code, std::move(msg)});
}

// Sends `batch` to the store and answers `rp` with `ok` (or the error).
void propose(control_actor_t* self, pb::StoreBatch batch,
             caf::response_promise rp, pb::ControlReply ok) {
  self->request(self->state.store, store_timeout, propose_atom::value,
                std::move(batch))
    .then([rp, ok](uint64_t) mutable { rp.deliver(ok); },
          [rp](caf::error& err) mutable {
            rp.deliver(error_reply(to_failure(err)));
          });
}

// Docker accepts `self` wherever a node is named.
std::string self_ref(const control_state& st, const std::string& ref) {
  return ref == "self" && !st.node_id.empty() ? st.node_id : ref;
}

reply_t service_create(control_actor_t* self, pb::ServiceSpec spec) {
  auto& st = self->state;
  if (auto ok = validate_service_spec(spec); !ok)
    return error_reply(ok.error());
  auto svc = make_service(spec, st.gen);
  if (st.view.service_by_name(svc.spec().name()))
    return error_reply(errc::name_conflict,
                       "rpc error: code = AlreadyExists desc = name conflicts "
                       "with an existing object: service "
                         + svc.spec().name() + " already exists");
  auto b = single_action(pb::StoreAction::CREATE, st.clk->now_ns());
  *b.mutable_actions(0)->mutable_service() = svc;
  pb::ControlReply ok;
  ok.set_text(svc.id());
  ok.add_ids(svc.id());
  auto rp = self->make_response_promise();
  propose(self, std::move(b), rp, ok);
  return caf::delegated<pb::ControlReply>{};
}

reply_t service_update(control_actor_t* self, const std::string& ref,
                       std::function<status(pb::Service&)> edit) {
  auto& st = self->state;
  auto found = find_service(st.view, ref);
  if (!found)
    return error_reply(found.error());
  auto svc = **found;
  if (auto ok = edit(svc); !ok)
    return error_reply(ok.error());
  if (auto ok = validate_service_spec(*svc.mutable_spec()); !ok)
    return error_reply(ok.error());
  svc.set_spec_version(svc.spec_version() + 1);
  auto b = single_action(pb::StoreAction::UPDATE, st.clk->now_ns());
  *b.mutable_actions(0)->mutable_service() = svc;
  pb::ControlReply ok;
  ok.add_ids(svc.id());
  ok.set_text(svc.spec().name());
  auto rp = self->make_response_promise();
  propose(self, std::move(b), rp, ok);
  return caf::delegated<pb::ControlReply>{};
}

reply_t service_remove(control_actor_t* self,
                       const pb::ServiceRemoveRequest& req) {
  auto& st = self->state;
  pb::StoreBatch b;
  b.set_atomic(true);
  b.set_proposed_at_ns(st.clk->now_ns());
  pb::ControlReply ok;
  for (auto& ref : req.refs()) {
    auto found = find_service(st.view, ref);
    if (!found)
      return error_reply(found.error());
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::REMOVE);
    a->mutable_service()->set_id((*found)->id());
    ok.add_ids(ref);
  }
  auto rp = self->make_response_promise();
  propose(self, std::move(b), rp, ok);
  return caf::delegated<pb::ControlReply>{};
}

status apply_node_update(pb::Node& n, const pb::NodeUpdateRequest& req) {
  auto& spec = *n.mutable_spec();
  if (req.set_availability())
    spec.set_availability(req.availability());
  for (auto& [k, v] : req.label_add()) {
    if (k.empty())
      return fail(errc::invalid_spec, "invalid label: empty key");
    (*spec.mutable_labels())[k] = v;
  }
  for (auto& k : req.label_rm()) {
    if (spec.labels().count(k) == 0)
      return fail(errc::invalid_spec,
                  "key " + k + " doesn't exist in node's labels");
    spec.mutable_labels()->erase(k);
  }
  return ok_status();
}

reply_t node_update(control_actor_t* self, const pb::NodeUpdateRequest& req) {
  auto& st = self->state;
  auto found = find_node(st.view, self_ref(st, req.ref()));
  if (!found)
    return error_reply(found.error());
  auto n = **found;
  if (auto ok = apply_node_update(n, req); !ok)
    return error_reply(ok.error());
  auto b = single_action(pb::StoreAction::UPDATE, st.clk->now_ns());
  *b.mutable_actions(0)->mutable_node() = n;
  pb::ControlReply ok;
  ok.add_ids(n.id());
  auto rp = self->make_response_promise();
  propose(self, std::move(b), rp, ok);
  return caf::delegated<pb::ControlReply>{};
}

reply_t swarm_update(control_actor_t* self, const pb::SwarmUpdateRequest& req) {
  auto& st = self->state;
  auto c = st.view.cluster();
  if (!c)
    return error_reply(errc::not_in_swarm, not_manager_text);
  auto x = *c;
  auto& spec = *x.mutable_spec();
  if (req.set_scheduler_strategy())
    spec.set_scheduler_strategy(req.scheduler_strategy());
  if (req.set_task_history_limit())
    spec.set_task_history_limit(req.task_history_limit());
  if (req.set_election_tick())
    spec.set_election_tick(req.election_tick());
  if (req.set_heartbeat_tick())
    spec.set_heartbeat_tick(req.heartbeat_tick());
  if (spec.heartbeat_tick() == 0 || spec.election_tick() <= spec.heartbeat_tick())
    return error_reply(errc::invalid_spec,
                       "election tick must be greater than heartbeat tick, "
                       "and heartbeat tick must be at least 1");
  auto b = single_action(pb::StoreAction::UPDATE, st.clk->now_ns());
  *b.mutable_actions(0)->mutable_cluster() = x;
  auto rp = self->make_response_promise();
  propose(self, std::move(b), rp, pb::ControlReply{});
  return caf::delegated<pb::ControlReply>{};
}

// Requests answered from the view alone.
std::optional<pb::ControlReply> read_request(control_actor_t* self,
                                             const pb::ControlRequest& req) {
  auto& v = self->state.view;
  using R = pb::ControlRequest;
  switch (req.request_case()) {
    case R::kNodeList: {
      auto out = list_nodes(v);
      out.mutable_info()->set_node_id(self->state.node_id);
      return out;
    }
    case R::kNodeInspect: {
      pb::ControlReply out;
      for (auto& ref : req.node_inspect().refs()) {
        auto n = find_node(v, self_ref(self->state, ref));
        if (!n)
          return error_reply(n.error());
        *out.add_nodes() = **n;
      }
      return out;
    }
    case R::kServiceList:
      return list_services(v);
    case R::kServiceInspect: {
      pb::ControlReply out;
      for (auto& ref : req.service_inspect().refs()) {
        auto s = find_service(v, ref);
        if (!s)
          return error_reply(s.error());
        *out.add_services()->mutable_service() = **s;
      }
      return out;
    }
    case R::kTaskList: {
      auto out = list_tasks(v, req.task_list());
      return out ? *out : error_reply(out.error());
    }
    case R::kLogs: {
      // The control server reads the log files; here we resolve the tasks.
      pb::ControlReply out;
      auto s = find_service(v, req.logs().ref());
      if (s) {
        for (auto& t : v.tasks_of((*s)->id()))
          *out.add_tasks() = *t;
      } else if (auto t = find_task(v, req.logs().ref())) {
        *out.add_tasks() = **t;
      } else {
        return error_reply(s.error());
      }
      for (auto& t : out.tasks())
        if (auto n = v.nodes().find(t.node_id()); n != v.nodes().end())
          (*out.mutable_node_names())[t.node_id()]
            = n->second->description().hostname();
      return out;
    }
    default:
      return std::nullopt;
  }
}

reply_t write_request(control_actor_t* self, const pb::ControlRequest& req) {
  using R = pb::ControlRequest;
  switch (req.request_case()) {
    case R::kServiceCreate:
      return service_create(self, req.service_create().spec());
    case R::kServiceUpdate: {
      auto spec = req.service_update().spec();
      auto read_at = req.service_update().version();
      return service_update(self, req.service_update().ref(),
                            [spec, read_at](pb::Service& s) {
                              // The store refuses the write as out of
                              // sequence if the service changed since the
                              // CLI read it (0: the CLI named no version).
                              if (read_at != 0)
                                s.mutable_meta()->set_version(read_at);
                              *s.mutable_previous_spec() = s.spec();
                              *s.mutable_spec() = spec;
                              return ok_status();
                            });
    }
    case R::kServiceScale: {
      auto n = req.service_scale().replicas();
      return service_update(self, req.service_scale().ref(),
                            [n](pb::Service& s) -> status {
                              if (s.spec().mode() != pb::ServiceSpec::REPLICATED)
                                return fail(errc::invalid_spec,
                                            "scale can only be used with "
                                            "replicated mode");
                              s.mutable_spec()->set_replicas(n);
                              return ok_status();
                            });
    }
    case R::kServiceRemove:
      return service_remove(self, req.service_remove());
    case R::kNodeUpdate:
      return node_update(self, req.node_update());
    case R::kSwarmUpdate:
      return swarm_update(self, req.swarm_update());
    default:
      return error_reply(errc::bad_request, "unknown control request");
  }
}

bool is_read(const pb::ControlRequest& req) {
  using R = pb::ControlRequest;
  switch (req.request_case()) {
    case R::kNodeList:
    case R::kNodeInspect:
    case R::kServiceList:
    case R::kServiceInspect:
    case R::kTaskList:
    case R::kLogs:
      return true;
    default:
      return false;
  }
}

// A read is linearizable (ReadIndex: answered once this replica applied
// what the leader had committed when the read arrived); without a leader it
// answers from this manager's last known state, with a warning. Node lists
// show the live Raft view of the managers.
reply_t linearizable_read(control_actor_t* self, pb::ControlRequest req) {
  auto rp = self->make_response_promise<pb::ControlReply>();
  auto store = self->state.store;
  auto answer = [=](bool fresh,
                    const raft::raft_status_ptr& status) mutable {
    auto r = read_request(self, req);
    if (!r)
      r = error_reply(errc::bad_request, "unknown control request");
    if (status)
      overlay_raft_status(*r, *status);
    if (!fresh && r->code() == 0)
      r->set_warning(stale_read_warning);
    rp.deliver(std::move(*r));
  };
  // Only node lists show Raft state: other reads skip asking for it.
  using R = pb::ControlRequest;
  bool nodes = req.request_case() == R::kNodeList
               || req.request_case() == R::kNodeInspect;
  self->request(store, store_timeout, read_atom::value)
    .then(
      [=](bool fresh) mutable {
        if (!nodes) {
          answer(fresh, nullptr);
          return;
        }
        self->request(store, store_timeout, raft_status_atom::value)
          .then([=](const raft::raft_status_ptr& s) mutable { answer(fresh, s); },
                [=](caf::error&) mutable { answer(fresh, nullptr); });
      },
      [=](caf::error&) mutable { answer(false, nullptr); });
  return rp;
}

bool is_membership(const pb::ControlRequest& req) {
  using R = pb::ControlRequest;
  switch (req.request_case()) {
    case R::kInfo:
    case R::kSwarmInit:
    case R::kSwarmJoin:
    case R::kSwarmLeave:
    case R::kJoinToken:
    case R::kNodeRole:
    case R::kNodeRemove:
      return true;
    default:
      return false;
  }
}

caf::behavior control_behavior(control_actor_t* self, caf::actor node,
                               node::clock* clk) {
  self->state.node = std::move(node);
  self->state.clk = clk;
  return {
    [=](control_atom, pb::ControlRequest& req) -> reply_t {
      auto& st = self->state;
      if (is_membership(req)) {
        // The node actor answers with the view's counts filled in by us.
        auto rp = self->make_response_promise();
        self->request(st.node, store_timeout, control_atom::value, req)
          .then(
            [=](pb::ControlReply& r) mutable {
              if (!r.has_info() || !st.store) {
                rp.deliver(std::move(r));
                return;
              }
              auto counts = info_from(st.view);
              counts.MergeFrom(r.info());
              *r.mutable_info() = counts;
              // The Raft part of `info` from the live view.
              self->request(st.store, store_timeout, raft_status_atom::value)
                .then(
                  [=](const raft::raft_status_ptr& s) mutable {
                    auto& i = *r.mutable_info();
                    i.set_raft_term(s->term);
                    i.set_raft_commit(self->state.view.applied_index());
                    for (const auto& m : s->members.voters())
                      if (m.raft_id() == s->lead)
                        i.set_leader_addr(m.addr());
                    rp.deliver(std::move(r));
                  },
                  [=](caf::error&) mutable { rp.deliver(std::move(r)); });
            },
            [=](caf::error& err) mutable {
              rp.deliver(error_reply(to_failure(err)));
            });
        return caf::delegated<pb::ControlReply>{};
      }
      if (!st.store)
        return error_reply(errc::not_in_swarm, not_manager_text);
      if (is_read(req))
        return linearizable_read(self, std::move(req));
      return write_request(self, req);
    },
    [=](manager_atom, caf::actor store, std::string& node_id) {
      auto& st = self->state;
      st.store = store;
      st.node_id = std::move(node_id);
      if (!store) { // the node left its swarm
        st.view = store::object_store{};
        return;
      }
      self->request(store, caf::infinite, subscribe_atom::value,
                    // TODO(i7-merge): the control actor's typed handle.
                    caf::actor_cast<store::subscriber_actor_type>(self))
        .await([=](const store_view_ptr& v) { self->state.view = *v; });
    },
    [=](events_atom, const store::change_set_ptr& cs) {
      self->state.view.apply_changes(*cs);
    },
  };
}

} // namespace

caf::actor spawn_control(caf::actor_system& sys, caf::actor node,
                         node::clock& clk) {
  return sys.spawn(control_behavior, std::move(node), &clk);
}

} // namespace actorswarm::control
