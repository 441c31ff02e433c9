// `actorswarm swarm ca [--rotate] [--cert-expiry D] [-d] [-q]`, after
// docker/cli's cli/command/swarm/ca.go: without --rotate it prints the
// current root CA certificate; --rotate asks for a new root (the spec's
// ca_config.force_rotate goes up by one, as SwarmKit's ForceRotate) and
// waits until the leader's CA has reissued every node's certificate under
// it and dropped the old root, then prints the new root. --cert-expiry
// (also `swarm update --cert-expiry`) sets the node certificates' validity.
//
// Reply fields the CLI reads: swarm update with rotate_ca: cluster (the
// force_rotate to wait for); swarm ca: text (the root PEM) and cluster
// (applied_force_rotate, previous_root_ca_cert_pem while rotating).

#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/units.hpp"

namespace actorswarm::cli {

status set_cert_expiry(pb::SwarmUpdateRequest& u, const std::string& text) {
  auto ns = parse_duration_ns(text);
  if (!ns)
    return fail(errc::invalid_spec,
                flag_error("--cert-expiry", text, ns.error().message));
  u.set_set_cert_expiry(true);
  u.set_cert_expiry_ns(*ns);
  return ok_status();
}

namespace {

constexpr int64_t poll_interval_ns = 100'000'000;
/// Bound on polls: ten minutes; docker waits forever, a script should not.
constexpr int polls_max = 6000;

struct ca_opts {
  bool rotate = false;
  bool detach = false;
  bool quiet = false;
  std::string cert_expiry;
};

bool rotation_done(const pb::Cluster& c, uint64_t target) {
  return c.applied_force_rotate() >= target
         && c.previous_root_ca_cert_pem().empty();
}

int print_root(invocation& inv, const pb::ControlReply& r) {
  auto pem = r.text();
  if (!pem.empty() && pem.back() != '\n')
    pem += '\n';
  inv.out() << pem;
  return 0;
}

int swarm_ca(invocation& inv, const CLI::App* app, const ca_opts& o) {
  pb::ControlRequest update;
  auto* u = update.mutable_swarm_update();
  if (!o.cert_expiry.empty())
    if (auto ok = set_cert_expiry(*u, o.cert_expiry); !ok)
      return usage_error(inv, app, ok.error().message);
  u->set_rotate_ca(o.rotate);
  uint64_t target = 0;
  if (o.rotate || u->set_cert_expiry()) {
    auto reply = inv.call(update);
    if (!reply)
      return 1;
    target = reply->cluster().spec().ca_config().force_rotate();
  }
  pb::ControlRequest show;
  show.mutable_swarm_ca();
  if (!o.rotate || o.detach) {
    auto reply = inv.call(show);
    return reply ? print_root(inv, *reply) : 1;
  }
  bool announced = false;
  for (int i = 0; i < polls_max; ++i) {
    auto reply = inv.call(show);
    if (!reply)
      return 1;
    if (rotation_done(reply->cluster(), target)) {
      if (!o.quiet && announced)
        inv.out() << "rotated TLS certificates: every node\n"
                  << "rotated CA certificates: every node\n";
      return print_root(inv, *reply);
    }
    if (!o.quiet && !announced) {
      inv.out() << "rotating: every node gets a certificate of the new "
                   "root CA...\n"
                << std::flush;
      announced = true;
    }
    inv.ctx().sleep_ns(poll_interval_ns);
  }
  return inv.fail("Error: the CA rotation did not finish within ten "
                  "minutes; it goes on, see `actorswarm swarm ca`");
}

} // namespace

void add_swarm_ca_command(CLI::App& swarm, invocation& inv) {
  auto o = std::make_shared<ca_opts>();
  add_leaf(
    swarm, "ca", "Display and rotate the root CA", inv,
    [&inv, o](const CLI::App* a) { return swarm_ca(inv, a, *o); },
    [o](CLI::App* ca) {
      refuse_empty(ca->add_option("--cert-expiry", o->cert_expiry,
                                  "Validity period for node certificates "
                                  "(ns|us|ms|s|m|h) (default 2160h0m0s)"),
                   parse_duration_ns);
      ca->add_flag("-d,--detach", o->detach,
                   "Exit immediately instead of waiting for the root "
                   "rotation to converge");
      ca->add_flag("-q,--quiet", o->quiet, "Suppress progress output");
      ca->add_flag("--rotate", o->rotate,
                   "Rotate the swarm CA - if no certificate or key are "
                   "provided, new ones will be generated");
    });
}

} // namespace actorswarm::cli
