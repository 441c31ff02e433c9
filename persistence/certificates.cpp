#include "persistence/certificates.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "persistence/file_util.hpp"

namespace actorswarm::persistence {

namespace {

constexpr const char* key_file = "swarm-node.key";
constexpr const char* cert_file = "swarm-node.crt";
constexpr const char* roots_file = "swarm-root-ca.crt";

std::string folder(const std::string& data_dir) {
  return data_dir + "/certificates";
}

status read_optional(const std::string& path, std::string& out) {
  out.clear();
  int err = read_small_file(path, out);
  if (err == ENOENT) {
    out.clear();
    return ok_status();
  }
  if (err != 0)
    return fail(errc::internal, "cannot read " + path + ": " + errno_text(err));
  return ok_status();
}

status write(const std::string& data_dir, const char* name,
             const std::string& content) {
  auto dir = folder(data_dir);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(errc::internal,
                "cannot create " + dir + ": " + errno_text(errno));
  if (int err = write_file_durably(dir, name, content); err != 0)
    return fail(errc::internal,
                "cannot write " + dir + "/" + name + ": " + errno_text(err));
  return ok_status();
}

} // namespace

result<node_certs> load_node_certs(const std::string& data_dir) {
  node_certs out;
  auto dir = folder(data_dir) + "/";
  for (auto [name, field] :
       {std::pair{key_file, &out.key_pem}, std::pair{cert_file, &out.cert_pem},
        std::pair{roots_file, &out.roots_pem}})
    if (auto ok = read_optional(dir + name, *field); !ok)
      return ok.error();
  return out;
}

status save_node_key(const std::string& data_dir, const std::string& key_pem) {
  return write(data_dir, key_file, key_pem);
}

status save_node_cert(const std::string& data_dir, const std::string& cert_pem,
                      const std::string& roots_pem) {
  if (auto ok = write(data_dir, roots_file, roots_pem); !ok)
    return ok;
  return write(data_dir, cert_file, cert_pem);
}

void remove_node_cert(const std::string& data_dir) {
  auto dir = folder(data_dir) + "/";
  ::unlink((dir + cert_file).c_str());
  ::unlink((dir + roots_file).c_str());
}

} // namespace actorswarm::persistence
