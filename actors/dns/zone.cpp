#include "actors/dns/zone.hpp"

#include <algorithm>
#include <arpa/inet.h>

namespace actorswarm::dns {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// A name DNS can carry: at most 253 characters in dotted form, labels of
// 1..63 characters.
bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 253)
    return false;
  size_t label = 0;
  for (char c : n) {
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
    } else if (++label > 63) {
      return false;
    }
  }
  return label > 0;
}

} // namespace

std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.')
    name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out)
    c = lower(c);
  return out;
}

bool parse_ipv4(std::string_view text, uint32_t& out) {
  auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    auto bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 2
        || !std::all_of(bits.begin(), bits.end(),
                        [](char c) { return c >= '0' && c <= '9'; })
        || std::stoi(std::string(bits)) > 32)
      return false;
    text = text.substr(0, slash);
  }
  if (text.empty() || text.size() > 15)
    return false;
  char buf[16];
  std::copy(text.begin(), text.end(), buf);
  buf[text.size()] = '\0';
  in_addr a{};
  if (inet_pton(AF_INET, buf, &a) != 1)
    return false;
  out = a.s_addr;
  return true;
}

result<std::shared_ptr<const zone>> zone::build(const zone_update& u) {
  auto z = std::make_shared<zone>();
  z->network_id_ = u.network_id;
  z->version_ = u.version;
  std::unordered_map<std::string, std::vector<uint32_t>> addrs;
  std::unordered_map<std::string, bool> rotate;
  auto add = [&](const std::string& name, const std::vector<uint32_t>& xs,
                 bool rot) {
    auto& v = addrs[name];
    for (auto x : xs)
      if (std::find(v.begin(), v.end(), x) == v.end())
        v.push_back(x);
    auto& r = rotate[name];
    r = r || rot;
  };
  auto bad_addr = [&](const std::string& what, const std::string& a) {
    return fail(errc::invalid_spec, "dns zone of network " + u.network_id + ": "
                                      + what + " has address '" + a
                                      + "', not an IPv4 address");
  };
  for (auto& s : u.services) {
    auto name = normalize_name(s.name);
    if (!valid_name(name))
      return fail(errc::invalid_spec, "dns zone of network " + u.network_id
                                        + ": invalid service name '" + s.name
                                        + "'");
    std::vector<std::string> names{name};
    for (auto& a : s.aliases) {
      auto an = normalize_name(a);
      if (!valid_name(an))
        return fail(errc::invalid_spec, "dns zone of network " + u.network_id
                                          + ": invalid alias '" + a
                                          + "' of service " + s.name);
      names.push_back(std::move(an));
    }
    std::vector<uint32_t> running;
    for (auto& t : s.tasks) {
      uint32_t a = 0;
      if (!parse_ipv4(t.address, a))
        return bad_addr("task " + t.id, t.address);
      if (!t.running)
        continue;
      running.push_back(a);
      auto tname = name + "." + normalize_name(t.slot) + "."
                   + normalize_name(t.id);
      if (!t.slot.empty() && !t.id.empty() && valid_name(tname))
        add(tname, {a}, false);
    }
    std::vector<uint32_t> vip;
    if (s.mode == endpoint_mode::vip) {
      uint32_t a = 0;
      if (!parse_ipv4(s.vip, a))
        return bad_addr("service " + s.name + "'s virtual IP", s.vip);
      vip.push_back(a);
    }
    for (auto& n : names) {
      if (s.mode == endpoint_mode::vip)
        add(n, vip, false);
      else if (!running.empty())
        add(n, running, true);
      // tasks.<name> may exceed 253 characters for a name near the limit:
      // it is then simply not answered.
      auto tn = "tasks." + n;
      if (!running.empty() && valid_name(tn))
        add(tn, running, true);
    }
  }
  for (auto& [name, xs] : addrs) {
    auto& key = z->names_.emplace_back(name);
    auto& e = z->entries_.emplace_back();
    e.addrs = xs;
    e.rotate = rotate[name] && xs.size() > 1;
    z->index_.emplace(std::string_view{key}, &e);
  }
  return std::shared_ptr<const zone>{std::move(z)};
}

const zone_entry* zone::find(std::string_view lower_name) const {
  auto i = index_.find(lower_name);
  return i == index_.end() ? nullptr : i->second;
}

const zone_entry* lookup(const zone* const* zones, size_t n,
                         std::string_view lower_name) {
  for (size_t i = 0; i < n; ++i)
    if (zones[i] != nullptr)
      if (auto e = zones[i]->find(lower_name))
        return e;
  return nullptr;
}

const zone_entry* lookup(const std::vector<std::shared_ptr<const zone>>& view,
                         std::string_view lower_name) {
  for (auto& z : view)
    if (z)
      if (auto e = z->find(lower_name))
        return e;
  return nullptr;
}

size_t answer_addresses(const zone_entry& e, uint32_t* out, size_t max) {
  auto n = std::min(max, e.addrs.size());
  if (n == 0)
    return 0;
  size_t start = 0;
  if (e.rotate)
    start = e.next.fetch_add(1, std::memory_order_relaxed) % e.addrs.size();
  for (size_t i = 0; i < n; ++i)
    out[i] = e.addrs[(start + i) % e.addrs.size()];
  return n;
}

} // namespace actorswarm::dns
