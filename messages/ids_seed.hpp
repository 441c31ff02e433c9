#pragma once

// The deterministic simulation's hook into the daemon's random ids
// (tests/sim, docs/simulation.md): the process-wide generator behind
// new_id() and os_seed() can be reseeded, so a simulated run that spawns the
// orchestrator and dispatchers replays exactly. The daemon never calls
// reseed_ids: its generator is seeded from std::random_device.

#include <cstdint>

namespace actorswarm {

/// Reseeds the process-wide id generator (tests only).
void reseed_ids(uint64_t seed);

/// A seed drawn from the process-wide id generator (std::random_device
/// unless reseeded), for generators that actors keep.
uint64_t os_seed();

} // namespace actorswarm
