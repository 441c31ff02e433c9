#pragma once

// A node's TLS identity on disk, in `<data-dir>/certificates/` with Docker's
// file names: swarm-node.key (its private key, made on this node, mode
// 0600), swarm-node.crt (its certificate from the cluster CA) and
// swarm-root-ca.crt (the roots it trusts). Each file is replaced atomically
// and durably.

#include <string>

#include "messages/result.hpp"

namespace actorswarm::persistence {

/// PEM texts; a missing file reads as empty.
struct node_certs {
  std::string key_pem;
  std::string cert_pem;
  std::string roots_pem;
};

/// Reads the three files of `data_dir` (missing ones are empty strings); an
/// unreadable file is errc::internal naming it.
result<node_certs> load_node_certs(const std::string& data_dir);

/// Writes the private key (creates the folder, mode 0700).
status save_node_key(const std::string& data_dir, const std::string& key_pem);

/// Writes the certificate and the trusted roots.
status save_node_cert(const std::string& data_dir, const std::string& cert_pem,
                      const std::string& roots_pem);

/// Deletes the certificate and the roots (the node left its swarm); the key
/// stays for the next join.
void remove_node_cert(const std::string& data_dir);

} // namespace actorswarm::persistence
