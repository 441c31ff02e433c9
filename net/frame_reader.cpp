#include "net/frame_reader.hpp"

#include <algorithm>

namespace actorswarm::net {

std::string frame_header(uint32_t n) {
  std::string h(frame_header_bytes, '\0');
  h[0] = static_cast<char>((n >> 24) & 0xff);
  h[1] = static_cast<char>((n >> 16) & 0xff);
  h[2] = static_cast<char>((n >> 8) & 0xff);
  h[3] = static_cast<char>(n & 0xff);
  return h;
}

frame_reader::frame_reader(uint64_t max_frame_bytes) : limit_(max_frame_bytes) {
  // nop
}

void frame_reader::limit(uint64_t max_frame_bytes) {
  limit_ = max_frame_bytes;
}

status frame_reader::consume(const char* data, size_t n,
                             std::vector<std::string>& out) {
  if (failed_)
    return fail(errc::bad_request, "the frame stream already failed");
  // Each round takes at least one byte, so the loop is bounded by n.
  while (n > 0) {
    if (header_len_ < frame_header_bytes) {
      auto take = std::min(n, frame_header_bytes - header_len_);
      std::copy(data, data + take, header_ + header_len_);
      header_len_ += take;
      data += take;
      n -= take;
      if (header_len_ < frame_header_bytes)
        break;
      auto* u = reinterpret_cast<const unsigned char*>(header_);
      announced_ = (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16)
                   | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
      if (announced_ > limit_) {
        failed_ = true;
        return fail(errc::bad_request, "a frame of "
                                         + std::to_string(announced_)
                                         + " bytes is over the limit of "
                                         + std::to_string(limit_));
      }
    }
    // Grows with what arrived: append, never reserve(announced_).
    auto take = std::min<size_t>(n, announced_ - body_.size());
    body_.append(data, take);
    data += take;
    n -= take;
    if (body_.size() == announced_) {
      out.push_back(std::move(body_));
      body_ = std::string{};
      header_len_ = 0;
      announced_ = 0;
    }
  }
  return ok_status();
}

size_t frame_reader::buffered() const {
  return header_len_ + body_.size();
}

size_t frame_reader::capacity() const {
  return frame_header_bytes + body_.capacity();
}

} // namespace actorswarm::net
