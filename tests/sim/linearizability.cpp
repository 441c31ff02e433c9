#include "sim/linearizability.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_set>

namespace actorswarm::sim {

namespace {

bool version_matches(uint64_t have, uint64_t want) {
  return have == 0 || have == want;
}

} // namespace

std::vector<svc_state> model_step(const svc_state& s, const operation& op) {
  const auto unknown = op.result == outcome::unknown;
  switch (op.kind) {
    case op_kind::create: {
      svc_state made{true, op.replicas, unknown ? 0 : op.index};
      if (unknown)
        return {s.exists ? s : made};
      if (op.result == outcome::ok && !s.exists)
        return {made};
      if (op.result == outcome::exists && s.exists)
        return {s};
      return {};
    }
    case op_kind::update: {
      svc_state made{true, op.replicas, unknown ? 0 : op.index};
      if (unknown) {
        if (!s.exists || (s.version != 0 && s.version != op.from_version))
          return {s};
        if (s.version == 0)
          return {s, made}; // the client cannot know: both are possible
        return {made};
      }
      if (op.result == outcome::ok && s.exists
          && version_matches(s.version, op.from_version))
        return {made};
      if (op.result == outcome::missing && !s.exists)
        return {s};
      if (op.result == outcome::stale && s.exists
          && (s.version == 0 || s.version != op.from_version))
        return {s};
      return {};
    }
    case op_kind::remove: {
      if (unknown)
        return {svc_state{}};
      if (op.result == outcome::ok && s.exists)
        return {svc_state{}};
      if (op.result == outcome::missing && !s.exists)
        return {s};
      return {};
    }
    case op_kind::read: {
      if (unknown)
        return {s};
      if (op.value.exists != s.exists)
        return {};
      if (!s.exists)
        return {s};
      if (op.value.replicas != s.replicas
          || !version_matches(s.version, op.value.version))
        return {};
      // A read of a version the model did not know binds it.
      return {svc_state{true, s.replicas, op.value.version}};
    }
  }
  return {};
}

namespace {

using state_set = std::vector<svc_state>; // sorted, unique

state_set step_all(const state_set& xs, const operation& op) {
  state_set out;
  for (const auto& s : xs)
    for (auto& n : model_step(s, op))
      out.push_back(n);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Porcupine's doubly linked list of call and return entries.
struct node {
  bool is_call = true;
  size_t op = 0;         // index into the key's operations
  node* match = nullptr; // a call's return entry
  node* prev = nullptr;
  node* next = nullptr;
};

struct cache_key {
  std::vector<uint64_t> bits;
  state_set states;
  bool operator==(const cache_key& o) const {
    return bits == o.bits && states == o.states;
  }
};

struct cache_hash {
  size_t operator()(const cache_key& k) const {
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&](uint64_t x) {
      h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    };
    for (auto b : k.bits)
      mix(b);
    for (const auto& s : k.states) {
      mix(s.exists);
      mix(s.replicas);
      mix(s.version);
    }
    return static_cast<size_t>(h);
  }
};

void lift(node* n) {
  n->prev->next = n->next;
  if (n->next)
    n->next->prev = n->prev;
  auto* m = n->match;
  m->prev->next = m->next;
  if (m->next)
    m->next->prev = m->prev;
}

void unlift(node* n) {
  auto* m = n->match;
  m->prev->next = m;
  if (m->next)
    m->next->prev = m;
  n->prev->next = n;
  if (n->next)
    n->next->prev = n;
}

// Checks one key's operations. Returns "" when linearizable, else why not;
// `gave_up` is set when the search hit `max_states`.
std::string check_key(const std::vector<const operation*>& ops,
                      size_t max_states, bool& gave_up) {
  struct event {
    sim_time t;
    bool is_call;
    size_t op;
  };
  std::vector<event> evs;
  for (size_t i = 0; i < ops.size(); ++i) {
    evs.push_back({ops[i]->invoked, true, i});
    evs.push_back({ops[i]->responded, false, i});
  }
  // By time; at equal times calls first (they overlap).
  std::stable_sort(evs.begin(), evs.end(), [](const event& a, const event& b) {
    if (a.t != b.t)
      return a.t < b.t;
    return a.is_call && !b.is_call;
  });
  std::vector<std::unique_ptr<node>> nodes;
  node head;
  node* tail = &head;
  std::vector<node*> call_of(ops.size(), nullptr);
  for (const auto& e : evs) {
    nodes.push_back(std::make_unique<node>());
    auto* n = nodes.back().get();
    n->is_call = e.is_call;
    n->op = e.op;
    n->prev = tail;
    tail->next = n;
    tail = n;
    if (e.is_call)
      call_of[e.op] = n;
    else
      call_of[e.op]->match = n;
  }
  std::vector<uint64_t> linearized((ops.size() + 63) / 64, 0);
  std::unordered_set<cache_key, cache_hash> cache;
  std::vector<std::pair<node*, state_set>> stack;
  state_set states{svc_state{}};
  size_t longest = 0;
  std::vector<size_t> best_prefix;
  node* entry = head.next;
  while (head.next) {
    if (entry->is_call) {
      auto next_states = step_all(states, *ops[entry->op]);
      bool advanced = false;
      if (!next_states.empty()) {
        auto bits = linearized;
        bits[entry->op / 64] |= uint64_t{1} << (entry->op % 64);
        cache_key k{bits, next_states};
        if (cache.insert(k).second) {
          if (cache.size() > max_states) {
            gave_up = true;
            return "";
          }
          stack.emplace_back(entry, states);
          states = std::move(next_states);
          linearized = std::move(bits);
          lift(entry);
          entry = head.next;
          advanced = true;
          if (stack.size() > longest) {
            longest = stack.size();
            best_prefix.clear();
            for (auto& [n, s] : stack)
              best_prefix.push_back(n->op);
          }
        }
      }
      if (!advanced)
        entry = entry->next;
    } else {
      if (stack.empty()) {
        // The first operation that could not be placed, after the longest
        // linearizable prefix the search found.
        std::ostringstream out;
        out << "no linearization; longest linearizable prefix:";
        for (auto i : best_prefix)
          out << "\n    " << to_string(*ops[i]);
        out << "\n  cannot place next:";
        std::set<size_t> placed(best_prefix.begin(), best_prefix.end());
        size_t shown = 0;
        for (size_t i = 0; i < ops.size() && shown < 6; ++i)
          if (!placed.count(i)) {
            out << "\n    " << to_string(*ops[i]);
            ++shown;
          }
        return out.str();
      }
      auto [n, s] = std::move(stack.back());
      stack.pop_back();
      states = std::move(s);
      linearized[n->op / 64] &= ~(uint64_t{1} << (n->op % 64));
      unlift(n);
      entry = n->next;
    }
  }
  return "";
}

} // namespace

lin_result check_linearizable(const std::vector<operation>& history,
                              size_t max_states) {
  std::map<std::string, std::vector<const operation*>> by_key;
  for (const auto& op : history)
    by_key[op.key].push_back(&op);
  lin_result out;
  for (const auto& [key, ops] : by_key) {
    bool gave_up = false;
    auto why = check_key(ops, max_states, gave_up);
    if (gave_up) {
      out.explanation += "gave up on key " + key + " (search too large); ";
      continue;
    }
    if (!why.empty()) {
      out.ok = false;
      out.key = key;
      out.explanation = "key " + key + ": " + why;
      return out;
    }
  }
  return out;
}

std::string to_string(const operation& op) {
  static const char* kinds[] = {"create", "update", "remove", "read"};
  static const char* results[] = {"ok", "exists", "missing", "stale",
                                  "unknown"};
  std::ostringstream out;
  out << "#" << op.id << " c" << op.client << " "
      << kinds[static_cast<int>(op.kind)] << "(" << op.key;
  if (op.kind == op_kind::create || op.kind == op_kind::update)
    out << ", replicas=" << op.replicas;
  if (op.kind == op_kind::update)
    out << ", from_version=" << op.from_version;
  out << ") [" << op.invoked << ", ";
  if (op.responded == never)
    out << "inf";
  else
    out << op.responded;
  out << "] -> " << results[static_cast<int>(op.result)];
  if (op.result == outcome::ok) {
    if (op.kind == op_kind::read) {
      if (op.value.exists)
        out << " {replicas=" << op.value.replicas
            << ", version=" << op.value.version << "}";
      else
        out << " {absent}";
    } else {
      out << " index=" << op.index;
    }
  }
  return out.str();
}

} // namespace actorswarm::sim
