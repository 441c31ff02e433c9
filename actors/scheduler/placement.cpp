#include "actors/scheduler/placement.hpp"

#include <algorithm>
#include <numeric>

#include "actors/scheduler/constraint.hpp"

namespace actorswarm::scheduler {

// -- free functions -----------------------------------------------------------

strategy strategy_for(const pb::Task& task,
                      pb::Placement::Strategy cluster_default) {
  auto s = task.spec().placement().strategy();
  if (s == pb::Placement::DEFAULT)
    s = cluster_default;
  switch (s) {
    case pb::Placement::BINPACK:
      return strategy::binpack;
    case pb::Placement::RANDOM:
      return strategy::random;
    default:
      return strategy::spread;
  }
}

std::vector<uint64_t> even_split(const std::vector<uint64_t>& existing,
                                 uint64_t n) {
  const size_t k = existing.size();
  std::vector<uint64_t> out(k, 0);
  if (k == 0 || n == 0)
    return out;
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return existing[a] < existing[b];
  });
  // Raise the m emptiest branches to the level of the next one while the new
  // tasks last; then share what is left among those m.
  uint64_t left = n;
  size_t m = 1;
  while (m < k) {
    uint64_t step = existing[order[m]] - existing[order[m - 1]];
    if (step > left / m)
      break;
    left -= step * m;
    ++m;
  }
  uint64_t level = existing[order[m - 1]] + left / m;
  uint64_t extra = left % m;
  for (size_t j = 0; j < m; ++j)
    out[order[j]] = level - existing[order[j]] + (j < extra ? 1 : 0);
  return out;
}

// -- member types -------------------------------------------------------------

struct group_placer::entry {
  double load;
  uint32_t service_tasks;
  uint32_t tasks;
  uint32_t index;
  /// Position of the node id among the leaf's nodes: ties break by node id
  /// without comparing strings on every heap step.
  uint32_t rank;
  /// Too many recent failures of this service: goes last.
  bool faulty;
};

struct group_placer::tree {
  /// Active tasks of the service on all nodes under this subtree.
  uint64_t tasks = 0;
  /// Children by preference value; std::map keeps the walk deterministic.
  std::map<std::string, std::unique_ptr<tree>> next;
  /// Leaf only: the nodes that passed the filters (a heap once placing).
  std::vector<entry> entries;
  bool heapified = false;
};

// -- group_placer -------------------------------------------------------------

group_placer::group_placer(std::vector<node_info>& nodes, pipeline& filters,
                           const pb::Task& task, strategy how,
                           std::mt19937_64& rng, assign_fn assign,
                           faulty_fn faulty)
  : nodes_(nodes),
    filters_(filters),
    task_(task),
    how_(how),
    rng_(rng),
    assign_(std::move(assign)),
    faulty_(std::move(faulty)) {
  // SwarmKit ignores preferences it does not understand.
  std::string ignored;
  pb::Node probe;
  for (const auto& p : task.spec().placement().spread_preferences())
    if (spread_value(p, probe, ignored))
      preferences_.push_back(p);
}

group_placer::~group_placer() = default;

size_t group_placer::place(size_t n) {
  if (n == 0)
    return 0;
  build();
  return static_cast<size_t>(place_in(*root_, n));
}

void group_placer::build() {
  root_ = std::make_unique<tree>();
  std::string value;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto& node = nodes_[i];
    if (!node.known())
      continue;
    auto service_tasks = node.active_tasks_of(task_.service_id());
    tree* t = root_.get();
    // SwarmKit counts tasks on every node, fit or not, so that a zone whose
    // nodes are down still weighs in the split.
    for (const auto& p : preferences_) {
      t->tasks += service_tasks;
      spread_value(p, node.node(), value);
      auto& child = t->next[value];
      if (!child)
        child = std::make_unique<tree>();
      t = child.get();
    }
    t->tasks += service_tasks;
    if (filters_.process(node))
      t->entries.push_back(entry{node.load(), service_tasks,
                                 node.active_tasks(), static_cast<uint32_t>(i),
                                 0, faulty_ && faulty_(node)});
  }
}

uint64_t group_placer::place_in(tree& t, uint64_t n) {
  if (t.next.empty())
    return place_in_leaf(t, n);
  std::vector<tree*> usable;
  for (auto& kvp : t.next)
    usable.push_back(kvp.second.get());
  uint64_t placed = 0;
  // Each round either places everything or drops a branch that ran out of
  // room, so there are at most as many rounds as branches.
  const size_t max_rounds = usable.size() + 1;
  for (size_t round = 0; round < max_rounds && placed < n && !usable.empty();
       ++round) {
    std::vector<uint64_t> existing;
    existing.reserve(usable.size());
    for (auto* c : usable)
      existing.push_back(c->tasks);
    auto share = even_split(existing, n - placed);
    std::vector<tree*> still;
    for (size_t i = 0; i < usable.size(); ++i) {
      if (share[i] == 0) {
        still.push_back(usable[i]);
        continue;
      }
      auto got = place_in(*usable[i], share[i]);
      usable[i]->tasks += got;
      placed += got;
      if (got == share[i])
        still.push_back(usable[i]);
    }
    usable.swap(still);
  }
  return placed;
}

bool group_placer::before(const entry& a, const entry& b) const {
  // SwarmKit's nodeLess: recent failures decide first.
  if (a.faulty != b.faulty)
    return b.faulty;
  if (how_ == strategy::binpack) {
    if (a.load != b.load)
      return a.load > b.load;
    if (a.tasks != b.tasks)
      return a.tasks > b.tasks;
  } else {
    // SwarmKit's nodeLess: tasks of this service, then tasks overall.
    if (a.service_tasks != b.service_tasks)
      return a.service_tasks < b.service_tasks;
    if (a.tasks != b.tasks)
      return a.tasks < b.tasks;
  }
  return a.rank < b.rank;
}

uint64_t group_placer::place_in_leaf(tree& t, uint64_t n) {
  if (how_ == strategy::random)
    return place_randomly(t, n);
  // std heaps keep the "largest" on top, so order by "comes after".
  auto after = [this](const entry& a, const entry& b) { return before(b, a); };
  auto& heap = t.entries;
  if (!t.heapified) {
    std::sort(heap.begin(), heap.end(), [this](const entry& a, const entry& b) {
      return nodes_[a.index].id() < nodes_[b.index].id();
    });
    for (size_t j = 0; j < heap.size(); ++j)
      heap[j].rank = static_cast<uint32_t>(j);
    std::make_heap(heap.begin(), heap.end(), after);
    t.heapified = true;
  }
  uint64_t placed = 0;
  while (placed < n && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), after);
    auto& e = heap.back();
    assign_(e.index);
    ++placed;
    const auto& node = nodes_[e.index];
    e.load = node.load();
    ++e.service_tasks;
    ++e.tasks;
    // Only the chosen node changed, so only it needs checking again.
    if (filters_.process(node))
      std::push_heap(heap.begin(), heap.end(), after);
    else
      heap.pop_back();
  }
  return placed;
}

uint64_t group_placer::place_randomly(tree& t, uint64_t n) {
  auto& nodes = t.entries;
  uint64_t placed = 0;
  while (placed < n && !nodes.empty()) {
    std::uniform_int_distribution<size_t> pick{0, nodes.size() - 1};
    auto i = pick(rng_);
    auto index = nodes[i].index;
    assign_(index);
    ++placed;
    if (!filters_.process(nodes_[index])) {
      nodes[i] = nodes.back();
      nodes.pop_back();
    }
  }
  return placed;
}

} // namespace actorswarm::scheduler
