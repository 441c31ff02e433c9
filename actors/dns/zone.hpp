#pragma once

// The names one network answers in the embedded DNS (Docker's embedded
// resolver, libnetwork resolver.go and service_common.go): CAF-free, fed
// with whole-network snapshots (zone_update, plain structs the agent builds
// from its assignments) and built into an immutable `zone`. The DNS server
// (net/dns/server.hpp) holds `std::shared_ptr<const zone>` and swaps it
// whole, so the query path never waits on an update.
//
// Names a zone answers, for every service S on the network (all
// case-insensitive, without the trailing dot):
//   S, and every alias A of S on this network:
//       endpoint mode vip:   S's virtual IP;
//       endpoint mode dnsrr: the addresses of S's running tasks, rotated
//                            round robin from one answer to the next;
//   tasks.S, tasks.A:        the addresses of S's running tasks (rotated);
//   S.<slot>.<task id>:      that task's address, while it runs.
// A stack's service is named `<stack>_<service>`, which needs nothing more.
// Two services answering the same name (e.g. a shared alias) answer all
// their addresses, as libnetwork's per-name record lists do.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::dns {

/// The time to live of every answer from a zone (libnetwork's respTTL).
constexpr uint32_t answer_ttl = 600;

/// How a service's name answers (`--endpoint-mode`).
enum class endpoint_mode : uint8_t { vip, dnsrr };

/// A task of a service on the network.
struct zone_task {
  /// Task id (the third part of its task name).
  std::string id;
  /// The slot (replicated services) or node id (global services).
  std::string slot;
  /// Its IPv4 address on this network, "10.0.1.5" or "10.0.1.5/24".
  std::string address;
  /// Only running tasks are answered.
  bool running = false;
};

/// A service attached to the network.
struct zone_service {
  std::string name;
  /// The virtual IP on this network ("10.0.1.2" or "10.0.1.2/24"); empty
  /// for dnsrr (ignored there).
  std::string vip;
  endpoint_mode mode = endpoint_mode::vip;
  /// The attachment's aliases on this network (`--network name=N,alias=A`).
  std::vector<std::string> aliases;
  std::vector<zone_task> tasks;
};

/// Everything a network's zone holds: a whole snapshot, never a delta.
struct zone_update {
  /// The network's id: the key the server files zones under.
  std::string network_id;
  /// A number that grows with every newer snapshot (e.g. the assignments'
  /// version); an older one than the zone's is ignored.
  uint64_t version = 0;
  std::vector<zone_service> services;
};

/// One answerable name: its IPv4 addresses (network byte order).
struct zone_entry {
  std::vector<uint32_t> addrs;
  /// Rotate the answer order from one query to the next (dnsrr, tasks.).
  bool rotate = false;
  /// The next rotation offset; shared by all readers of the zone.
  mutable std::atomic<uint32_t> next{0};
};

/// An immutable zone: a name -> addresses table.
class zone {
public:
  /// Builds the zone of one snapshot. Fails (and nothing changes) when an
  /// address is not an IPv4 address, a name is empty, too long for DNS, or
  /// has an empty label.
  static result<std::shared_ptr<const zone>> build(const zone_update& u);

  /// The entry of `lower_name` (lower case, no trailing dot), or nullptr.
  const zone_entry* find(std::string_view lower_name) const;

  const std::string& network_id() const noexcept {
    return network_id_;
  }

  uint64_t version() const noexcept {
    return version_;
  }

  /// How many names it answers.
  size_t size() const noexcept {
    return index_.size();
  }

private:
  std::string network_id_;
  uint64_t version_ = 0;
  std::deque<std::string> names_;  // owns the index's keys
  std::deque<zone_entry> entries_; // stable addresses
  std::unordered_map<std::string_view, zone_entry*> index_;
};

/// The name as the zone files it: lower case, one trailing dot dropped.
std::string normalize_name(std::string_view name);

/// Parses "a.b.c.d" or "a.b.c.d/N" into network byte order.
bool parse_ipv4(std::string_view text, uint32_t& out);

/// The zones one asker sees (the networks its task is on), in order: the
/// first zone that has the name answers it, as libnetwork searches the
/// sandbox's endpoints in order.
const zone_entry* lookup(const std::vector<std::shared_ptr<const zone>>& view,
                         std::string_view lower_name);

/// The same over `n` zone pointers (null ones are skipped).
const zone_entry* lookup(const zone* const* zones, size_t n,
                         std::string_view lower_name);

/// Writes up to `max` of the entry's addresses into `out`, starting at the
/// rotation offset when the entry rotates (and advancing it). Returns how
/// many were written.
size_t answer_addresses(const zone_entry& e, uint32_t* out, size_t max);

} // namespace actorswarm::dns
