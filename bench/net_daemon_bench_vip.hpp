#pragma once

// Part `vip` of bench/net_daemon_bench.cpp (see its header).

#include "bench/net_daemon_bench_util.hpp"

namespace {

// -- vip: wrk through the VIP vs straight to the task ---------------------------

// Counters of a namespace (read from a thread inside it): TCP SYN
// retransmissions and conntrack's failed inserts, drops and resolved clashes.
struct ns_counters {
  double syn_retrans = 0, insert_failed = 0, drop = 0, clash_resolved = 0;
};

ns_counters counters_in(const os::netns& ns) {
  ns_counters c;
  os::run_in_netns(ns, [&] {
    // TcpExt: a header line of names, then a line of values.
    std::istringstream net(read_all("/proc/thread-self/net/netstat"));
    std::string names, values;
    while (std::getline(net, names) && std::getline(net, values)) {
      if (names.compare(0, 7, "TcpExt:") != 0)
        continue;
      std::istringstream n(names), v(values);
      for (std::string name, value; n >> name && v >> value;)
        if (name == "TCPSynRetrans")
          c.syn_retrans = std::stod(value);
    }
    // One line per CPU, hexadecimal; the columns named in the first line.
    std::istringstream ct(read_all("/proc/thread-self/net/stat/nf_conntrack"));
    std::string header;
    std::getline(ct, header);
    std::vector<std::string> cols;
    std::istringstream h(header);
    for (std::string x; h >> x;)
      cols.push_back(x);
    for (std::string line; std::getline(ct, line);) {
      std::istringstream l(line);
      std::string x;
      for (size_t i = 0; i < cols.size() && l >> x; ++i) {
        auto v = static_cast<double>(std::stoul(x, nullptr, 16));
        if (cols[i] == "insert_failed")
          c.insert_failed += v;
        else if (cols[i] == "drop")
          c.drop += v;
        else if (cols[i] == "clashres")
          c.clash_resolved += v;
      }
    }
  });
  return c;
}

struct wrk_result {
  double rps = 0, p50 = 0, p99 = 0, max = 0, errors = 0;
};

bool run_wrk(const daemon_proc& d, const options& o, const std::string& pin,
             const std::string& addr, bool close, wrk_result& out) {
  auto file = d.dir + "/wrk.out";
  ::unlink(file.c_str());
  std::vector<std::string> args = {"/usr/bin/nsenter",
                                   "--net=" + pin,
                                   "/usr/bin/wrk",
                                   "-t2",
                                   "-c" + std::to_string(o.conns),
                                   "-d" + std::to_string(o.duration) + "s",
                                   "--timeout",
                                   "5s",
                                   "--latency",
                                   "-s",
                                   d.dir + "/report.lua"};
  if (close)
    args.insert(args.end(), {"-H", "Connection: close"});
  args.push_back("http://" + addr + "/index.html");
  run(args, file, (o.duration + 30) * 1000.0);
  auto text = read_all(file);
  auto at = text.find("RESULT ");
  if (at == std::string::npos) {
    progress("wrk failed against " + addr + ":\n" + text);
    return false;
  }
  std::map<std::string, double> v;
  std::istringstream in(text.substr(at + 7));
  std::string kv;
  while (in >> kv) {
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      v[kv.substr(0, eq)] = std::stod(kv.substr(eq + 1));
    if (kv.compare(0, 11, "err_timeout") == 0)
      break;
  }
  out.rps = (v["requests"] - v["err_status"]) / (v["duration_us"] / 1e6);
  out.p50 = v["p50_us"] / 1000;
  out.p99 = v["p99_us"] / 1000;
  out.max = v["max_us"] / 1000;
  out.errors = v["err_connect"] + v["err_read"] + v["err_write"]
               + v["err_status"] + v["err_timeout"];
  return true;
}

bool vip_runs(daemon_proc& d, const options& o) {
  progress("vip: nginx as web1 and webd (1 replica each) and web3 (3), wrk "
           "from a client "
           "task");
  auto www = d.dir + "/www";
  auto tmp = d.dir + "/nginx-tmp";
  auto pids = d.dir + "/nginx-run";
  for (auto& p : {www, tmp, pids})
    ::mkdir(p.c_str(), 0755);
  std::ofstream(www + "/index.html") << std::string(1023, 'x') << "\n";
  auto conf = d.dir + "/nginx.conf";
  std::ofstream(conf) << "daemon off;\nmaster_process on;\nuser root;\n"
                      << "worker_processes " << o.workers << ";\n"
                      << "error_log " << d.dir << "/nginx-error.log warn;\n"
                      << "events { worker_connections 4096; }\n"
                      << "http {\n  access_log off;\n  sendfile on;\n"
                      << "  tcp_nodelay on;\n"
                      << "  keepalive_requests 100000000;\n"
                      << "  keepalive_timeout 120s;\n"
                      << "  client_body_temp_path " << tmp << "/body;\n"
                      << "  proxy_temp_path " << tmp << "/proxy;\n"
                      << "  fastcgi_temp_path " << tmp << "/fastcgi;\n"
                      << "  uwsgi_temp_path " << tmp << "/uwsgi;\n"
                      << "  scgi_temp_path " << tmp << "/scgi;\n"
                      << "  types { text/html html; }\n"
                      << "  server {\n    listen 80 reuseport;\n"
                      << "    root " << www << ";\n    location / { }\n  }\n"
                      << "}\n";
  std::ofstream(d.dir + "/report.lua")
    << "function done(summary, latency, requests)\n"
       "  local e = summary.errors\n"
       "  io.write(string.format(\"RESULT requests=%d duration_us=%d "
       "p50_us=%d p99_us=%d max_us=%d err_connect=%d err_read=%d "
       "err_write=%d err_status=%d err_timeout=%d\\n\",\n"
       "    summary.requests, summary.duration, latency:percentile(50), "
       "latency:percentile(99), latency.max, e.connect, e.read, e.write, "
       "e.status, e.timeout))\nend\n";
  // Each task's own pid file (the three of web3 share the config).
  auto nginx = "exec /usr/sbin/nginx -c " + conf + " -g \"pid " + pids
               + "/$ACTORSWARM_TASK_ID.pid;\"";
  for (auto& [name, n] : std::vector<std::pair<std::string, std::string>>{
         {"web1", "1"}, {"webd", "1"}, {"web3", "3"}})
    if (!d.run_cli({"service", "create", "-d", "--name", name, "--replicas", n,
                    "--restart-delay", "0s", "--network", network_name, "host",
                    "/bin/sh", "-c", nginx}))
      return false;
  if (!d.run_cli({"service", "create", "-d", "--name", "cli", "--replicas", "1",
                  "--restart-delay", "0s", "--network", network_name, "host",
                  "sleep", "3600"}))
    return false;
  for (auto& [name, n] : std::vector<std::pair<std::string, long>>{
         {"web1", 1}, {"webd", 1}, {"web3", 3}, {"cli", 1}})
    if (wait_running(d.socket, name, n, steady::now(), 5, 60'000) < 0) {
      progress("vip: " + name + " not running");
      return false;
    }
  auto client = running_tasks(d, "cli");
  auto web1 = running_tasks(d, "web1");
  auto webd = running_tasks(d, "webd");
  auto web3 = running_tasks(d, "web3");
  if (client.size() != 1 || web1.size() != 1 || webd.size() != 1
      || web3.size() != 3)
    return false;
  auto pin = d.data_dir + "/netns/t-" + client[0].id();
  auto opened = os::netns::open(pin);
  if (!opened)
    return false;
  auto ns = std::make_unique<os::netns>(std::move(*opened));
  for (auto* set : {&client, &web1, &webd, &web3})
    for (auto& t : *set)
      conntrack_time_wait_1s(d, t.id());
  struct target {
    std::string label, addr;
  };
  std::vector<target> targets = {{"direct", addr_of(webd[0]) + ":80"},
                                 {"vip", vip_of(web1[0]) + ":80"},
                                 {"vip3", vip_of(web3[0]) + ":80"}};
  for (auto& t : targets) {
    auto ip = t.addr.substr(0, t.addr.find(':'));
    actorswarm::test::http_reply reply;
    auto t0 = steady::now();
    while (!stop_requested && ms_since(t0) < 20'000) {
      reply = actorswarm::test::http_get(*ns, ip, 80, "/index.html",
                                         std::chrono::seconds{1});
      if (reply.status == 200)
        break;
      sleep_ms(20);
    }
    if (reply.status != 200) {
      progress("vip: " + t.label + " " + t.addr
               + " does not answer: " + reply.error);
      return false;
    }
    progress("vip: " + t.label + " " + t.addr + " answers");
  }
  std::map<std::string, std::vector<wrk_result>> results;
  for (int r = 0; r < o.wrk_rounds && !stop_requested; ++r)
    for (bool close : {false, true})
      for (size_t i = 0; i < targets.size(); ++i) {
        // Every other round in reverse order: no target always goes first.
        auto& t = targets[r % 2 ? targets.size() - 1 - i : i];
        wrk_result w;
        auto c0 = counters_in(*ns);
        // CLOCK_MONOTONIC seconds (perf record -k CLOCK_MONOTONIC's clock),
        // to cut a system-wide profile into the runs.
        auto mono = [] {
          return std::chrono::duration<double>(steady::now().time_since_epoch())
            .count();
        };
        auto m0 = mono();
        if (!run_wrk(d, o, pin, t.addr, close, w))
          return false;
        auto m1 = mono();
        auto c1 = counters_in(*ns);
        auto key = t.label + (close ? "_close" : "_keepalive");
        char line[320];
        std::snprintf(line, sizeof line,
                      "round %d %s: %.0f req/s p50 %.2f ms p99 %.2f ms max "
                      "%.0f ms, %.0f errors; client: %.0f SYN retransmits, "
                      "conntrack %.0f insert failed, %.0f drops, %.0f clashes "
                      "resolved [monotonic %.3f-%.3f s]",
                      r + 1, key.c_str(), w.rps, w.p50, w.p99, w.max, w.errors,
                      c1.syn_retrans - c0.syn_retrans,
                      c1.insert_failed - c0.insert_failed, c1.drop - c0.drop,
                      c1.clash_resolved - c0.clash_resolved, m0, m1);
        progress(line);
        results[key].push_back(w);
      }
  auto med = [&](const std::string& key, double wrk_result::*field) {
    std::vector<double> v;
    for (auto& w : results[key])
      v.push_back(w.*field);
    return median(v);
  };
  for (auto mode : {"keepalive", "close"}) {
    for (auto& t : targets) {
      auto key = t.label + "_" + mode;
      figure("vip_" + key + "_rps", med(key, &wrk_result::rps), "req/s");
      figure("vip_" + key + "_p99_ms", med(key, &wrk_result::p99), "ms");
      figure("vip_" + key + "_errors", med(key, &wrk_result::errors), "count");
    }
    // The ratio of each round (same minute, same load), then their median:
    // steadier than a ratio of medians on a shared machine.
    for (auto label : {"vip", "vip3"}) {
      std::vector<double> ratios;
      auto& vs = results[std::string(label) + "_" + mode];
      auto& ds = results[std::string("direct_") + mode];
      for (size_t i = 0; i < vs.size() && i < ds.size(); ++i)
        if (ds[i].rps > 0)
          ratios.push_back(vs[i].rps / ds[i].rps);
      figure(std::string(label) + "_" + mode + "_round_ratio_median",
             median(ratios), "ratio");
      figure(std::string(label) + "_" + mode + "_round_ratio_min",
             ratios.empty() ? 0
                            : *std::min_element(ratios.begin(), ratios.end()),
             "ratio");
    }
    auto direct = med(std::string("direct_") + mode, &wrk_result::rps);
    if (direct > 0) {
      figure(std::string("vip_") + mode + "_ratio_vs_direct",
             med(std::string("vip_") + mode, &wrk_result::rps) / direct,
             "ratio");
      figure(std::string("vip3_") + mode + "_ratio_vs_direct",
             med(std::string("vip3_") + mode, &wrk_result::rps) / direct,
             "ratio");
    }
  }
  return true;
}

bool part_vip(daemon_proc& d, const options& o) {
  bool ok = vip_runs(d, o);
  return d.remove({"web1", "webd", "web3", "cli"}) >= 0 && ok;
}

} // namespace
