#include "persistence/at_rest.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "messages/assert.hpp"

namespace actorswarm::persistence::at_rest {

namespace {

constexpr unsigned char record_marker = 0x00;
constexpr unsigned char record_version = 0x01;
constexpr size_t nonce_bytes = 12;
constexpr size_t tag_bytes = 16;
constexpr size_t head_bytes = 2 + nonce_bytes;

constexpr std::string_view key_file_magic = "ASKEY";
constexpr unsigned char key_file_version = 0x01;
constexpr size_t salt_bytes = 16;
constexpr std::string_view kek_info = "actorswarm kek v1";
constexpr std::string_view dek_label = "actorswarm-dek";

constexpr std::string_view invalid_key_text = "invalid key";

using ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view x) {
  return reinterpret_cast<const unsigned char*>(x.data());
}

unsigned char* bytes(std::string& x) {
  return reinterpret_cast<unsigned char*>(x.data());
}

int len(size_t n) {
  // Records are far below 2 GiB (RocksDB values, snapshot files); EVP
  // counts in int.
  AS_ASSERT(n < (size_t{1} << 31));
  return static_cast<int>(n);
}

void fill_random(unsigned char* out, size_t n) {
  if (RAND_bytes(out, len(n)) != 1)
    AS_FAIL_STOP("at-rest encryption: no randomness from OpenSSL");
}

/// AES-256-GCM encryption of `plain` into `out` after its first `offset`
/// bytes (the head, which already holds the nonce); appends the tag.
void gcm_seal(const key& k, const unsigned char* nonce, std::string_view plain,
              std::string_view label, std::string& out, size_t offset) {
  ctx_ptr ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  int n = 0;
  bool ok = ctx != nullptr
            && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                                  k.data(), nonce)
                 == 1
            && EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(label),
                                 len(label.size()))
                 == 1;
  auto* dst = bytes(out) + offset;
  ok = ok
       && EVP_EncryptUpdate(ctx.get(), dst, &n, bytes(plain), len(plain.size()))
            == 1;
  int m = 0;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), dst + n, &m) == 1
       && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, len(tag_bytes),
                              dst + plain.size())
            == 1;
  if (!ok)
    AS_FAIL_STOP("at-rest encryption: AES-256-GCM seal failed");
}

/// Opens a GCM body (ciphertext | tag) under `nonce`; false if it does not
/// authenticate.
bool gcm_open(const key& k, const unsigned char* nonce, std::string_view body,
              std::string_view label, std::string& plain) {
  if (body.size() < tag_bytes)
    return false;
  auto text_len = body.size() - tag_bytes;
  plain.assign(text_len, '\0');
  ctx_ptr ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  std::string tag{body.substr(text_len)};
  int n = 0;
  int m = 0;
  bool ok = ctx != nullptr
            && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                                  k.data(), nonce)
                 == 1
            && EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(label),
                                 len(label.size()))
                 == 1
            && EVP_DecryptUpdate(ctx.get(), bytes(plain), &n, bytes(body),
                                 len(text_len))
                 == 1
            && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                                   len(tag_bytes), bytes(tag))
                 == 1
            && EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + n, &m) == 1;
  if (!ok) {
    // Never hand out what a failed tag check produced.
    OPENSSL_cleanse(plain.data(), plain.size());
    plain.clear();
  }
  return ok;
}

/// HKDF-SHA256(unlock, salt, kek_info): the key-encryption key.
key derive_kek(const key& unlock, const unsigned char* salt) {
  key out{};
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx{
    EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), &EVP_PKEY_CTX_free};
  size_t out_len = out.size();
  bool ok = ctx != nullptr && EVP_PKEY_derive_init(ctx.get()) == 1
            && EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) == 1
            && EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt, len(salt_bytes))
                 == 1
            && EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), unlock.data(),
                                          len(unlock.size()))
                 == 1
            && EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), bytes(kek_info),
                                           len(kek_info.size()))
                 == 1
            && EVP_PKEY_derive(ctx.get(), out.data(), &out_len) == 1
            && out_len == out.size();
  if (!ok)
    AS_FAIL_STOP("at-rest encryption: HKDF-SHA256 failed");
  return out;
}

std::string_view trim(std::string_view x) {
  while (!x.empty()
         && (x.front() == ' ' || x.front() == '\n' || x.front() == '\r'
             || x.front() == '\t'))
    x.remove_prefix(1);
  while (!x.empty()
         && (x.back() == ' ' || x.back() == '\n' || x.back() == '\r'
             || x.back() == '\t'))
    x.remove_suffix(1);
  return x;
}

} // namespace

key random_key() {
  key x{};
  fill_random(x.data(), x.size());
  return x;
}

bool same_key(const key& a, const key& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string format_unlock_key(const key& x) {
  // EVP_EncodeBlock pads to 44 characters; the key text carries none.
  unsigned char buf[4 * ((key_bytes + 2) / 3) + 1];
  int n = EVP_EncodeBlock(buf, x.data(), len(x.size()));
  std::string b64{reinterpret_cast<const char*>(buf), static_cast<size_t>(n)};
  while (!b64.empty() && b64.back() == '=')
    b64.pop_back();
  return std::string{unlock_key_prefix} + b64;
}

result<key> parse_unlock_key(std::string_view text) {
  auto invalid = [] {
    return fail(errc::bad_request, std::string{invalid_key_text});
  };
  text = trim(text);
  if (text.substr(0, unlock_key_prefix.size()) != unlock_key_prefix)
    return invalid();
  std::string b64{text.substr(unlock_key_prefix.size())};
  while (!b64.empty() && b64.back() == '=')
    b64.pop_back();
  // 32 bytes are 43 base64 characters without padding.
  if (b64.size() != 43)
    return invalid();
  for (char c : b64)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/')
      return invalid();
  b64 += '=';
  unsigned char buf[33];
  int n = EVP_DecodeBlock(buf, bytes(std::string_view{b64}), len(b64.size()));
  // EVP_DecodeBlock counts the padding's zero byte: 33 for 32 key bytes.
  if (n != 33)
    return invalid();
  key out{};
  std::copy(buf, buf + key_bytes, out.begin());
  OPENSSL_cleanse(buf, sizeof(buf));
  return out;
}

bool is_sealed(std::string_view x) {
  return x.size() >= seal_overhead_bytes
         && static_cast<unsigned char>(x[0]) == record_marker;
}

cipher::cipher(const key& dek) : dek_(dek) {
  // nop
}

cipher::~cipher() {
  OPENSSL_cleanse(dek_.data(), dek_.size());
}

std::string cipher::seal(std::string_view plain, std::string_view label) const {
  std::string out(head_bytes + plain.size() + tag_bytes, '\0');
  out[0] = static_cast<char>(record_marker);
  out[1] = static_cast<char>(record_version);
  auto* nonce = bytes(out) + 2;
  fill_random(nonce, nonce_bytes);
  gcm_seal(dek_, nonce, plain, label, out, head_bytes);
  return out;
}

result<std::string> cipher::open(std::string_view sealed,
                                 std::string_view label) const {
  auto refuse = [label] {
    return fail(errc::internal, std::string{label} + ": " + open_refusal);
  };
  if (!is_sealed(sealed)
      || static_cast<unsigned char>(sealed[1]) != record_version)
    return refuse();
  std::string plain;
  if (!gcm_open(dek_, bytes(sealed) + 2, sealed.substr(head_bytes), label,
                plain))
    return refuse();
  return plain;
}

std::string wrap_dek(const key& dek, const key& unlock, key_state state) {
  std::string out{key_file_magic};
  out.push_back(static_cast<char>(key_file_version));
  out.push_back(static_cast<char>(state));
  unsigned char salt[salt_bytes];
  fill_random(salt, sizeof(salt));
  out.append(reinterpret_cast<const char*>(salt), sizeof(salt));
  auto kek = derive_kek(unlock, salt);
  cipher wrapper{kek};
  OPENSSL_cleanse(kek.data(), kek.size());
  out += wrapper.seal(
    std::string_view{reinterpret_cast<const char*>(dek.data()), dek.size()},
    std::string{dek_label} + "/" + static_cast<char>(state));
  return out;
}

result<unwrapped_dek> unwrap_dek(std::string_view file, const key& unlock) {
  // magic, version, state
  auto head = key_file_magic.size() + 2;
  if (file.size() < head + salt_bytes
      || file.substr(0, key_file_magic.size()) != key_file_magic)
    return fail(errc::internal, "not an actorswarm key file");
  if (static_cast<unsigned char>(file[key_file_magic.size()])
      != key_file_version)
    return fail(errc::internal, "key file of an unsupported version "
                                  + std::to_string(static_cast<unsigned char>(
                                    file[key_file_magic.size()])));
  auto kek = derive_kek(unlock, bytes(file) + head);
  cipher wrapper{kek};
  OPENSSL_cleanse(kek.data(), kek.size());
  auto state = static_cast<key_state>(file[head - 1]);
  auto dek = wrapper.open(file.substr(head + salt_bytes),
                          std::string{dek_label} + "/" + file[head - 1]);
  bool known = state == key_state::on || state == key_state::enabling
               || state == key_state::disabling;
  if (!dek || dek->size() != key_bytes || !known)
    return fail(errc::refused, std::string{invalid_key_text});
  unwrapped_dek out{{}, state};
  std::copy(dek->begin(), dek->end(), out.dek.begin());
  OPENSSL_cleanse(dek->data(), dek->size());
  return out;
}

} // namespace actorswarm::persistence::at_rest
