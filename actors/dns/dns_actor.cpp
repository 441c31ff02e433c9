#include "actors/dns/dns_actor.hpp"

#include <arpa/inet.h>

#include "caf/all.hpp"

#include "messages/caf_error.hpp"
#include "messages/log.hpp"

namespace actorswarm::dns {

namespace {

struct dns_zone_state {
  std::string network_id;
  std::shared_ptr<zone_sink> sink;
  std::shared_ptr<const zone> current;
  static inline const char* name = "dns_zone";
};

using dns_zone_actor_t = dns_zone_actor_type::stateful_base<dns_zone_state>;

std::string ipv4_text(uint32_t a) {
  char buf[INET_ADDRSTRLEN] = {};
  in_addr x{};
  x.s_addr = a;
  inet_ntop(AF_INET, &x, buf, sizeof buf);
  return buf;
}

dns_zone_actor_type::behavior_type
dns_zone_actor(dns_zone_actor_t* self, std::string network_id,
               std::shared_ptr<zone_sink> sink) {
  self->state.network_id = network_id;
  self->state.sink = sink;
  self->attach_functor([sink, network_id] { sink->withdraw(network_id); });
  return {
    [=](dns_update_atom, const zone_update& u) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (u.network_id != st.network_id)
        return make_error(errc::invalid_spec,
                          "dns zone of network " + st.network_id
                            + " was sent the snapshot of network "
                            + u.network_id);
      if (st.current && u.version < st.current->version())
        return static_cast<uint64_t>(st.current->size());
      auto z = zone::build(u);
      if (!z) {
        logger("dns")->warn("zone update refused network={} error={}",
                            st.network_id, z.error().message);
        return make_error(z.error());
      }
      st.current = *z;
      st.sink->publish(st.current);
      return static_cast<uint64_t>(st.current->size());
    },
    [=](dns_lookup_atom, const std::string& name) {
      std::vector<std::string> out;
      auto& st = self->state;
      if (!st.current)
        return out;
      if (auto e = st.current->find(normalize_name(name))) {
        std::vector<uint32_t> addrs(e->addrs.size());
        auto n = answer_addresses(*e, addrs.data(), addrs.size());
        for (size_t i = 0; i < n; ++i)
          out.push_back(ipv4_text(addrs[i]));
      }
      return out;
    },
  };
}

} // namespace

dns_zone_actor_type spawn_dns_zone(caf::actor_system& sys,
                                   std::string network_id,
                                   std::shared_ptr<zone_sink> sink) {
  return sys.spawn(dns_zone_actor, std::move(network_id), std::move(sink));
}

} // namespace actorswarm::dns
