#pragma once

// Seeds for simulation tests (STYLE.md R4): AS_SEED=<n> replays exactly one
// seed, AS_SEEDS=<count> runs that many from 1; otherwise `default_count`.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace actorswarm::test {

/// splitmix64: a fast, well-mixed 64-bit hash (also for state hashes).
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// FNV-1a over bytes.
inline uint64_t hash_bytes(const std::string& xs) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : xs) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// The seeds a simulation test runs, from the environment.
inline std::vector<uint64_t> seeds_from_env(uint64_t default_count,
                                            uint64_t first = 1) {
  if (const char* s = std::getenv("AS_SEED"))
    return {std::strtoull(s, nullptr, 10)};
  uint64_t n = default_count;
  if (const char* s = std::getenv("AS_SEEDS"))
    n = std::strtoull(s, nullptr, 10);
  std::vector<uint64_t> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i)
    out.push_back(first + i);
  return out;
}

} // namespace actorswarm::test
