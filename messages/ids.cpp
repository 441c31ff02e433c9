#include "messages/ids.hpp"
#include "messages/ids_seed.hpp"

#include <optional>

#include <algorithm>
#include <mutex>
#include <vector>

namespace actorswarm {

namespace {

constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

} // namespace

std::string new_id(std::mt19937_64& gen) {
  std::uniform_int_distribution<int> dist(0, 35);
  std::string out(id_length, '0');
  for (auto& c : out)
    c = digits[dist(gen)];
  return out;
}

namespace {

std::mutex ids_mtx;

std::mt19937_64& ids_gen() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

} // namespace

std::string new_id() {
  std::lock_guard<std::mutex> guard{ids_mtx};
  return new_id(ids_gen());
}

void reseed_ids(uint64_t seed) {
  std::lock_guard<std::mutex> guard{ids_mtx};
  ids_gen().seed(seed);
}

uint64_t os_seed() {
  std::lock_guard<std::mutex> guard{ids_mtx};
  return ids_gen()();
}

bool is_id(const std::string& x) {
  return x.size() == id_length && std::all_of(x.begin(), x.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
         });
}

std::string base36_encode(const std::string& bytes, size_t width) {
  // Repeated division of a big-endian number by 36.
  std::vector<uint8_t> num(bytes.begin(), bytes.end());
  std::string out;
  auto is_zero = [&] {
    return std::all_of(num.begin(), num.end(),
                       [](uint8_t b) { return b == 0; });
  };
  while (!is_zero()) {
    uint32_t rem = 0;
    for (auto& b : num) {
      uint32_t cur = (rem << 8) | b;
      b = static_cast<uint8_t>(cur / 36);
      rem = cur % 36;
    }
    out.push_back(digits[rem]);
  }
  while (out.size() < width)
    out.push_back('0');
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<std::string> base36_decode(const std::string& text,
                                         size_t bytes) {
  // Repeated multiply-add into a big-endian number of `bytes` bytes.
  std::vector<uint8_t> num(bytes, 0);
  for (char c : text) {
    uint32_t d;
    if (c >= '0' && c <= '9')
      d = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'z')
      d = static_cast<uint32_t>(c - 'a' + 10);
    else
      return std::nullopt;
    uint32_t carry = d;
    for (auto b = num.rbegin(); b != num.rend(); ++b) {
      uint32_t cur = *b * 36u + carry;
      *b = static_cast<uint8_t>(cur & 0xff);
      carry = cur >> 8;
    }
    if (carry != 0)
      return std::nullopt; // does not fit
  }
  return std::string(num.begin(), num.end());
}

} // namespace actorswarm
