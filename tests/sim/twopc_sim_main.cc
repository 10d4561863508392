// twopc_sim: runs the deterministic simulation (tests/sim/simulation.h) for
// one seed or a range of them.
//
//   twopc_sim [--seed S] [--seeds N] [--participants P] [--clients C]
//             [--chaos-ms T] [--bug none|sync_lies|abort_live_inquiry] [--trace]
//
// Prints one line per failing seed with the command that replays it (and its
// trace), and a summary: schedules, transactions, simulated transactions per
// CPU second. Exit status: 0 when every seed passed, 1 when one failed, 2 on
// bad usage.
#include <ctime>
#include <iostream>
#include <string>

#include "tests/sim/simulation.h"

namespace {

int Usage(const std::string& why) {
  std::cerr << "twopc_sim: " << why << "\n"
            << "usage: twopc_sim [--seed S] [--seeds N] [--participants P] [--clients C]\n"
            << "                 [--chaos-ms T] [--bug none|sync_lies|abort_live_inquiry] "
               "[--trace]\n";
  return 2;
}

bool ParseCount(const std::string& text, uint64_t min, uint64_t* out) {
  try {
    size_t used = 0;
    const unsigned long long value = std::stoull(text, &used);
    if (used != text.size() || value < min || text[0] == '-') return false;
    *out = value;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char** argv) {
  twopc::sim::SimOptions options;
  uint64_t seeds = 1;
  bool trace = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--trace") {
      trace = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(flag + " needs a value");
    const std::string value = argv[++i];
    uint64_t number = 0;
    if (flag == "--seed" && ParseCount(value, 0, &number)) {
      options.seed = number;
    } else if (flag == "--seeds" && ParseCount(value, 1, &number)) {
      seeds = number;
    } else if (flag == "--participants" && ParseCount(value, 1, &number) && number <= 16) {
      options.participants = static_cast<int>(number);
    } else if (flag == "--clients" && ParseCount(value, 1, &number) && number <= 64) {
      options.clients = static_cast<int>(number);
    } else if (flag == "--chaos-ms" && ParseCount(value, 1, &number) && number <= 600000) {
      options.chaos = std::chrono::milliseconds(number);
    } else if (flag == "--bug") {
      if (!twopc::sim::ParseBug(value, &options.bug)) return Usage("unknown --bug " + value);
    } else {
      return Usage("bad flag or value: " + flag + " " + value);
    }
  }
  options.keep_trace = trace;
  const uint64_t first = options.seed;
  uint64_t failed = 0;
  uint64_t transactions = 0;
  const double started = CpuSeconds();
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    options.seed = seed;
    const twopc::sim::SimResult result = twopc::sim::RunSimulation(options);
    transactions += result.transactions;
    if (trace) {
      for (const std::string& line : result.trace) std::cout << line << "\n";
    }
    if (!result.ok()) {
      ++failed;
      std::cout << "seed " << seed << " FAILED: " << result.violations.front() << "\n";
      if (!trace) {
        std::cout << "  last events:\n";
        for (const std::string& line : result.trace) std::cout << "    " << line << "\n";
      }
      std::cout << "  replay: build/tests/twopc_sim --seed " << seed << " --participants "
                << options.participants << " --clients " << options.clients << " --chaos-ms "
                << options.chaos.count() << " --bug " << twopc::sim::BugName(options.bug)
                << " --trace\n";
    } else if (seeds == 1) {
      std::cout << "seed " << seed << " ok: " << result.transactions << " transactions ("
                << result.committed << " committed, " << result.aborted << " aborted, "
                << result.unknown << " unknown), " << result.crashes << " crashes, "
                << result.partitions << " partitions, " << result.lost << " of " << result.messages
                << " messages lost, " << result.events << " events, " << result.simulated_seconds
                << " simulated s, trace hash " << std::hex << result.trace_hash << std::dec << "\n";
    }
  }
  const double cpu = CpuSeconds() - started;
  std::cout << "schedules " << seeds << " failed " << failed << " transactions " << transactions
            << " cpu_s " << cpu << " transactions_per_cpu_s "
            << (cpu > 0 ? static_cast<double>(transactions) / cpu : 0) << " schedules_per_min "
            << (cpu > 0 ? 60.0 * static_cast<double>(seeds) / cpu : 0) << "\n";
  return failed == 0 ? 0 : 1;
}
