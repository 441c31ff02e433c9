#include "sim/sim_network.hpp"

#include "messages/caf_error.hpp"
#include "net/cluster_transport.hpp"
#include "sim/simulation.hpp"

namespace actorswarm::sim::detail {

// -- the network -------------------------------------------------------------

void sim_net::send(sim_time now, packet p) {
  ++sent_;
  if (cut(p.from, p.to))
    return;
  if (faults && chance(opts.drop))
    return;
  // Duplicates: RaftMessages only. A request travels once over one TLS
  // connection (TCP neither duplicates nor resends it), so a duplicated
  // PROPOSE would be a fault the real transport cannot have.
  int copies = faults && p.what == packet::kind::raft && chance(opts.duplicate)
                 ? 2
                 : 1;
  for (int i = 0; i < copies; ++i) {
    auto d = opts.min_delay + rng_() % (opts.max_delay - opts.min_delay + 1);
    if (faults && chance(opts.long_delay))
      d += rng_() % opts.long_delay_max;
    queue_.emplace(std::make_pair(now + d, seq_++), p);
  }
}

std::optional<packet> sim_net::pop_due(sim_time now) {
  while (!queue_.empty() && queue_.begin()->first.first <= now) {
    auto p = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    if (!cut(p.from, p.to))
      return p;
  }
  return std::nullopt;
}

void sim_net::partition(const std::vector<uint64_t>& side, size_t n) {
  std::set<uint64_t> in(side.begin(), side.end());
  for (uint64_t a = 1; a <= n; ++a)
    for (uint64_t b = 1; b <= n; ++b)
      if (in.count(a) != in.count(b))
        blocked_.emplace(a, b);
}

// -- the transport -------------------------------------------------------

caf::behavior sim_transport(transport_actor* self, simulation* sim, uint64_t id,
                            uint64_t incarnation, std::shared_ptr<bool> alive) {
  auto rpc_timeout
    = std::chrono::milliseconds(net::cluster_transport_config{}.rpc_timeout_ms);
  return {
    // From the local raft peer.
    [=](raft_send_atom, pb::RaftMessage& m) {
      if (!*alive)
        return;
      packet p;
      p.what = packet::kind::raft;
      p.from = id;
      p.to = m.to();
      p.msg = std::move(m);
      sim->net_send(std::move(p));
    },
    [=](raft_members_atom, const pb::ConfState&) {
      // Addresses are the simulation's: node ids.
    },
    [=](cluster_raft_atom, const net::cluster_raft_actor_type& r) {
      self->state.raft = r;
    },
    [=](cluster_raft_id_atom, uint64_t) {},
    [=](serve_atom, int32_t kind, const net::cluster_server_actor_type& s) {
      self->state.servers[kind] = s;
    },
    // A request to another manager (the store forwards proposals).
    [=](cluster_call_atom, uint64_t to, int32_t kind,
        std::string& payload) -> caf::result<std::string> {
      auto rp = self->make_response_promise<std::string>();
      auto call = ++self->state.next_call;
      self->state.calls.emplace(call, rp);
      if (*alive) {
        packet p;
        p.what = packet::kind::request;
        p.from = id;
        p.to = to;
        p.call = call;
        p.incarnation = incarnation;
        p.rpc = kind;
        p.payload = std::move(payload);
        sim->net_send(std::move(p));
      }
      self->delayed_send(self, rpc_timeout, cluster_timeout_atom::value, call);
      return rp;
    },
    [=](cluster_timeout_atom, uint64_t call) {
      auto i = self->state.calls.find(call);
      if (i == self->state.calls.end())
        return;
      i->second.deliver(make_error(errc::timeout, "cluster request timed out"));
      self->state.calls.erase(i);
    },
    // From the network: a RaftMessage, a request, a reply.
    [=](raft_msg_atom, pb::RaftMessage& m) {
      if (self->state.raft)
        self->send(self->state.raft, raft_msg_atom::value, std::move(m));
    },
    [=](rpc_atom, uint64_t from, uint64_t call, uint64_t from_incarnation,
        int32_t kind, std::string& payload) {
      auto reply = [=](bool ok, std::string bytes) {
        if (!*alive)
          return;
        packet p;
        p.what = packet::kind::reply;
        p.from = id;
        p.to = from;
        p.call = call;
        p.incarnation = from_incarnation;
        p.ok = ok;
        p.payload = std::move(bytes);
        sim->net_send(std::move(p));
      };
      auto i = self->state.servers.find(kind);
      if (i == self->state.servers.end()) {
        reply(false, "no server");
        return;
      }
      self
        ->request(i->second, caf::infinite, rpc_atom::value, kind,
                  "node-" + std::to_string(from), std::move(payload))
        .then([=](std::string& r) { reply(true, std::move(r)); },
              [=](caf::error& e) { reply(false, caf::to_string(e)); });
    },
    [=](cluster_call_atom, uint64_t call, bool ok, std::string& payload) {
      auto i = self->state.calls.find(call);
      if (i == self->state.calls.end())
        return;
      if (ok)
        i->second.deliver(std::move(payload));
      else
        i->second.deliver(make_error(errc::unavailable, payload));
      self->state.calls.erase(i);
    },
  };
}

} // namespace actorswarm::sim::detail
