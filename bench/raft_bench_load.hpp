#pragma once

// Replicated-write load for bench/raft_bench.cpp (part 1) and the single
// probe write the failover part times. A write is a real control request
// on the control socket: ServiceUpdate of the client's own service (created
// with --replicas 0, so no task starts) carrying a label of `value_bytes`
// bytes. Distinct services per client avoid version conflicts. Each client
// thread keeps one connection (the control server reads frames until the
// client closes). Every reply is checked; errors are counted, not timed.

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/raft_bench_cluster.hpp"
#include "messages/errc.hpp"

namespace actorswarm::bench {

/// A replicated service of `replicas` running `host sleep 3600`, optionally
/// with one placement constraint.
inline pb::ServiceSpec bench_spec(const std::string& name, uint64_t replicas,
                                  const std::string& constraint = "") {
  pb::ServiceSpec spec;
  spec.set_name(name);
  spec.set_mode(pb::ServiceSpec::REPLICATED);
  spec.set_replicas(replicas);
  auto& c = *spec.mutable_task()->mutable_container();
  c.set_image("host");
  c.add_command("sleep");
  c.add_command("3600");
  if (!constraint.empty())
    spec.mutable_task()->mutable_placement()->add_constraints(constraint);
  return spec;
}

/// Creates services `prefix0..prefix<n-1>` with 0 replicas through `m`
/// (an existing one of that name is fine).
inline bool create_services(const manager& m, const std::string& prefix,
                            int n) {
  for (int i = 0; i < n; ++i) {
    pb::ControlRequest req;
    *req.mutable_service_create()->mutable_spec()
      = bench_spec(prefix + std::to_string(i), 0);
    pb::ControlReply rep;
    if (!call(m, req, rep, 30'000)
        && rep.code()
             != static_cast<uint32_t>(actorswarm::errc::name_conflict)) {
      progress("service create failed: " + rep.error());
      return false;
    }
  }
  return true;
}

/// The ServiceUpdate write of service `name`, label value `value_bytes` long
/// with `seq` in its first characters so every write changes the value.
inline void make_write(pb::ControlRequest& req, const pb::ServiceSpec& spec,
                       size_t value_bytes, long seq) {
  auto* u = req.mutable_service_update();
  u->set_ref(spec.name());
  *u->mutable_spec() = spec;
  std::string v = std::to_string(seq);
  v.resize(value_bytes, 'x');
  (*u->mutable_spec()->mutable_labels())["bench"] = v;
}

/// What one load run measured.
struct load_result {
  double ops_per_s = 0, p50_ms = 0, p99_ms = 0, max_ms = 0;
  long ok = 0, errors = 0;
  std::string first_error;
};

/// One client: writes its own service over one connection until
/// `deadline`; latencies of successful writes go to `lat_ms`.
inline void writer(const std::string& socket, const pb::ServiceSpec& spec,
                   size_t value_bytes, steady::time_point deadline,
                   std::vector<double>& lat_ms, long& errors,
                   std::string& first_error) {
  std::string err;
  int fd = net::connect_unix(socket, err);
  pb::ControlRequest req;
  for (long seq = 0; steady::now() < deadline && !stop_requested; ++seq) {
    if (fd < 0) {
      ++errors;
      first_error = first_error.empty() ? "connect: " + err : first_error;
      sleep_ms(10);
      fd = net::connect_unix(socket, err);
      continue;
    }
    make_write(req, spec, value_bytes, seq);
    pb::ControlReply rep;
    auto t0 = steady::now();
    auto res = net::control_call_fd(
      fd, req,
      [&](const pb::ControlReply& r) {
        rep = r;
        return true;
      },
      10'000);
    double ms = ms_since(t0);
    if (res.status == net::call_status::ok && rep.code() == 0) {
      lat_ms.push_back(ms);
      continue;
    }
    ++errors;
    if (first_error.empty())
      first_error = res.status != net::call_status::ok ? "io: " + res.detail
                                                       : rep.error();
    if (res.status != net::call_status::ok) {
      ::close(fd);
      fd = net::connect_unix(socket, err);
    }
  }
  if (fd >= 0)
    ::close(fd);
}

/// Runs `clients` writers against `socket` for `seconds`; client i writes
/// service `prefix<i>`.
inline load_result run_load(const std::string& socket,
                            const std::string& prefix, int clients,
                            double seconds, size_t value_bytes) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  std::vector<long> errs(static_cast<size_t>(clients), 0);
  std::vector<std::string> first(static_cast<size_t>(clients));
  std::vector<std::thread> ts;
  auto t0 = steady::now();
  auto deadline
    = t0 + std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  for (int i = 0; i < clients; ++i) {
    auto k = static_cast<size_t>(i);
    ts.emplace_back([&, i, k] {
      writer(socket, bench_spec(prefix + std::to_string(i), 0), value_bytes,
             deadline, lat[k], errs[k], first[k]);
    });
  }
  for (auto& t : ts)
    t.join();
  double wall_s = ms_since(t0) / 1000.0;
  load_result r;
  std::vector<double> all;
  for (size_t k = 0; k < lat.size(); ++k) {
    all.insert(all.end(), lat[k].begin(), lat[k].end());
    r.errors += errs[k];
    if (r.first_error.empty())
      r.first_error = first[k];
  }
  r.ok = static_cast<long>(all.size());
  r.ops_per_s = static_cast<double>(r.ok) / wall_s;
  r.p50_ms = percentile(all, 50);
  r.p99_ms = percentile(all, 99);
  r.max_ms = percentile(all, 100);
  return r;
}

/// One write of service `name` through `m`, with a `timeout_ms` bound on the
/// reply; true when it succeeded.
inline bool probe_write(const manager& m, const std::string& name, long seq,
                        int timeout_ms, std::string* error = nullptr) {
  pb::ControlRequest req;
  make_write(req, bench_spec(name, 0), 16, seq);
  pb::ControlReply rep;
  bool ok = call(m, req, rep, timeout_ms);
  if (!ok && error != nullptr)
    *error = rep.error();
  return ok;
}

} // namespace actorswarm::bench
