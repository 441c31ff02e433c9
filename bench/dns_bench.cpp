// dns_bench: actorswarm's embedded DNS server holding a benchmark's names,
// for bench/dns_bench.sh (which loads it with ../shared/bench/dns.sh's
// dnsperf run, next to dnsmasq holding the same names).
//
//   dns_bench --mapping FILE [--listen IP:PORT] [--per-service N]
//
// FILE has "name<TAB>IPv4" lines (dns.sh --names-out DIR writes
// DIR/mapping.tsv); each name becomes a vip service of one network whose
// virtual IP is that address (the zone holds the name exactly as it would
// hold a service's). The server (the daemon's: net/dns/server.hpp) serves
// one listener on IP:PORT (default 127.0.0.1:15354) in this namespace, no
// upstream; it runs until SIGINT/SIGTERM and then prints its counters as
// "name value unit" lines.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/signalfd.h>
#include <unistd.h>

#include "net/dns/server.hpp"
#include "net/dns/wire.hpp"

using namespace actorswarm;
using namespace actorswarm::dns;

int main(int argc, char** argv) {
  std::string mapping;
  std::string listen = "127.0.0.1:15354";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--mapping")
      mapping = argv[i + 1];
    else if (k == "--listen")
      listen = argv[i + 1];
  }
  if (mapping.empty()) {
    std::cerr << "usage: dns_bench --mapping FILE [--listen IP:PORT]\n";
    return 2;
  }
  std::ifstream in{mapping};
  if (!in) {
    std::cerr << "dns_bench: cannot read " << mapping << "\n";
    return 1;
  }
  zone_update u;
  u.network_id = "bench";
  u.version = 1;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream w{line};
    zone_service s;
    if (w >> s.name >> s.vip)
      u.services.push_back(std::move(s));
  }
  auto z = zone::build(u);
  if (!z) {
    std::cerr << "dns_bench: " << z.error().message << "\n";
    return 1;
  }
  auto ep = parse_endpoint(listen);
  if (!ep) {
    std::cerr << "dns_bench: " << ep.error().message << "\n";
    return 1;
  }
  auto colon = listen.rfind(':');
  auto socks = open_dns_sockets(
    listen.substr(0, colon),
    static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
  if (!socks) {
    std::cerr << "dns_bench: " << socks.error().message << "\n";
    return 1;
  }
  // The cost of the query path without sockets: libknot's parse alone, and
  // parse + zone lookup + answer, over the benchmark's own names (so one
  // can tell whether libknot is the bottleneck).
  {
    std::vector<std::vector<uint8_t>> qs;
    for (size_t i = 0; i < u.services.size() && i < 1000; ++i) {
      auto& name = u.services[i].name;
      std::vector<uint8_t> q{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
      size_t start = 0;
      while (start <= name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos)
          dot = name.size();
        q.push_back(static_cast<uint8_t>(dot - start));
        q.insert(q.end(), name.begin() + static_cast<long>(start),
                 name.begin() + static_cast<long>(dot));
        start = dot + 1;
      }
      q.insert(q.end(), {0, 0, 1, 0, 1});
      qs.push_back(std::move(q));
    }
    constexpr int rounds = 200;
    auto& zz = **z;
    uint8_t out[512];
    uint32_t addrs[16];
    size_t ok = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r)
      for (auto& q : qs) {
        query pq;
        ok += parse_query(q.data(), q.size(), pq) == verdict::answer;
      }
    auto t1 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r)
      for (auto& q : qs) {
        query pq;
        if (parse_query(q.data(), q.size(), pq) != verdict::answer)
          continue;
        auto e = zz.find(pq.lower_name());
        auto n = e ? answer_addresses(*e, addrs, 16) : 0;
        ok += write_response(q.data(), pq, rcode::noerror, addrs, n, answer_ttl,
                             out, sizeof out)
              > 0;
      }
    auto t2 = std::chrono::steady_clock::now();
    auto per = [&](auto d) {
      return std::chrono::duration<double, std::nano>(d).count()
             / static_cast<double>(rounds * qs.size());
    };
    std::printf("ours_libknot_parse_ns %.0f ns/query\n", per(t1 - t0));
    std::printf("ours_query_path_ns %.0f ns/query\n", per(t2 - t1));
    std::fflush(stdout);
    if (ok == 0)
      return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // blocked before the server thread starts, so only signalfd sees them
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto srv = server::start({});
  if (!srv) {
    std::cerr << "dns_bench: " << srv.error().message << "\n";
    return 1;
  }
  (*srv)->add_listener(std::move(*socks), {"bench"});
  (*srv)->publish(*z);
  std::cerr << "# dns_bench: " << (*z)->size() << " names on " << listen
            << "\n";
  std::cout << "ready" << std::endl;
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  signalfd_siginfo si{};
  [[maybe_unused]] auto n = ::read(sfd, &si, sizeof si);
  auto st = (*srv)->stats();
  std::cout << "ours_queries " << st.queries << " count\n"
            << "ours_local_answers " << st.local_answers << " count\n"
            << "ours_rejected " << st.rejected << " count\n"
            << "ours_dropped " << st.dropped << " count\n";
  return 0;
}
