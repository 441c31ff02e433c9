#pragma once

// A linearizability checker (Wing & Gong's search with Lowe's memoisation,
// as in Porcupine's checkSingle) and the model of the simulation's client
// history: one key per service, whose value is (exists, replicas,
// version). Linearizability is local (Herlihy & Wing), so each key is
// checked on its own, which keeps every search small.
//
// An operation whose outcome is unknown (timed out, its node crashed, or
// an answer that does not say whether it happened) gets the response time
// +infinity: it may take effect at any point after its invocation, or
// never (placed after everything else). The model is nondeterministic where
// a client cannot know the outcome (an update of unknown outcome from a
// version the model does not know), so the search walks sets of states.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace actorswarm::sim {

/// Sim time in milliseconds; `never` is the response time of an operation
/// whose outcome is unknown.
using sim_time = uint64_t;
constexpr sim_time never = std::numeric_limits<sim_time>::max();

/// What a client did to one service.
enum class op_kind : uint8_t { create, update, remove, read };

/// How an operation ended.
enum class outcome : uint8_t {
  ok,      // done: `index` is its log index (writes) or it read `value`
  exists,  // refused: the service exists (create)
  missing, // refused: no such service (update, remove)
  stale,   // refused: the version was not `from_version` (update)
  unknown, // no answer, or one that cannot say whether it happened
};

/// The state of one service as the model sees it. version 0 of an
/// existing service: written by an operation of unknown outcome, so its
/// version (the log index) is unknown; any version matches it.
struct svc_state {
  bool exists = false;
  uint64_t replicas = 0;
  uint64_t version = 0;

  friend bool operator==(const svc_state& a, const svc_state& b) {
    return a.exists == b.exists && a.replicas == b.replicas
           && a.version == b.version;
  }
  friend bool operator<(const svc_state& a, const svc_state& b) {
    if (a.exists != b.exists)
      return a.exists < b.exists;
    if (a.replicas != b.replicas)
      return a.replicas < b.replicas;
    return a.version < b.version;
  }
};

/// One client operation on one service.
struct operation {
  uint64_t id = 0;
  uint64_t client = 0;
  std::string key;
  op_kind kind = op_kind::read;
  /// create, update: the replicas written. update: the version read before.
  uint64_t replicas = 0;
  uint64_t from_version = 0;
  sim_time invoked = 0;
  sim_time responded = never;
  outcome result = outcome::unknown;
  /// ok writes: the log index (the new version). ok reads: what was read.
  uint64_t index = 0;
  svc_state value;
};

/// The model's transition: every state `s` may become after `op`, empty if
/// `op`'s recorded outcome is impossible from `s`.
std::vector<svc_state> model_step(const svc_state& s, const operation& op);

/// Result of a check.
struct lin_result {
  bool ok = true;
  /// The key whose history is not linearizable, and a readable account.
  std::string key;
  std::string explanation;
};

/// Checks the whole history, key by key. `max_states` bounds the search
/// per key (memoised states); beyond it the check gives up and says so in
/// `explanation` with ok == true (never a false alarm).
lin_result check_linearizable(const std::vector<operation>& history,
                              size_t max_states = 2000000);

/// Human-readable form of one operation (for traces).
std::string to_string(const operation& op);

} // namespace actorswarm::sim
