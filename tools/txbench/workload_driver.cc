#include "tools/txbench/workload_driver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "tools/txbench/interrupt.h"
#include "tools/txbench/transfer.h"
#include "twopc/client.h"

namespace twopc::txbench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kConnectTimeoutMs = 5000;
// Far above any prepare or commit timeout: a reply that late is an error anyway.
constexpr int kIoTimeoutMs = 60000;
constexpr std::chrono::milliseconds kProgressInterval(1000);
constexpr std::chrono::milliseconds kPollInterval(50);
constexpr std::chrono::milliseconds kReconnectPause(10);

// What one client thread counts. The counters are read by the progress line
// while the client runs; the rest only after it has finished.
struct alignas(64) ClientState {
  std::atomic<int64_t> committed{0};
  std::atomic<int64_t> aborted{0};
  std::atomic<int64_t> errors{0};
  std::vector<int64_t> latencies_us;
  std::string first_abort_reason;
  std::string first_error;
  std::string connect_error;

  void CountError(const std::string& what) {
    errors.fetch_add(1, std::memory_order_relaxed);
    if (first_error.empty()) first_error = what;
  }
};

// Holds the clients until all are connected, then lets them go with the deadline.
class StartGate {
 public:
  explicit StartGate(int clients) : clients_(clients) {}

  void Arrive(bool connected) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++arrived_;
    if (!connected) ++failed_;
    changed_.notify_all();
  }
  // Blocks until every client arrived; returns how many could not connect.
  int WaitForAll() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return arrived_ == clients_; });
    return failed_;
  }
  // Releases the clients: run until `deadline`, or (cancelled) not at all.
  void Open(Clock::time_point deadline, bool cancelled) {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cancelled_ = cancelled;
    deadline_ = deadline;
    changed_.notify_all();
  }
  // False if the run was cancelled.
  bool WaitOpen(Clock::time_point* deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return open_; });
    *deadline = deadline_;
    return !cancelled_;
  }

 private:
  const int clients_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  int failed_ = 0;
  bool open_ = false;
  bool cancelled_ = false;
  Clock::time_point deadline_;
};

void RunClient(const WorkloadConfig& config, uint64_t seed, StartGate* gate, ClientState* state) {
  ClientOptions options;
  options.address = config.coordinator.ToString();
  options.connect_timeout_ms = kConnectTimeoutMs;
  options.execute_slack_ms = kIoTimeoutMs;
  options.max_idle_connections = 1;  // one connection per client thread
  options.security = config.security;
  Client client(options);
  bool connected = true;
  try {
    client.Connect();
  } catch (const ClientError& e) {
    state->connect_error = e.detail();
    connected = false;
  }
  gate->Arrive(connected);
  Clock::time_point deadline;
  if (!gate->WaitOpen(&deadline) || !connected) return;

  TransferGenerator generator(static_cast<int>(config.participants.size()), config.accounts, seed);
  // Rebuilt in place each time: the loop allocates nothing once warm.
  Transaction transaction;
  ExecuteResult reply;
  const ExecuteOptions execute_options;
  while (!Interrupted() && Clock::now() < deadline) {
    BuildTransfer(generator.Next(), config.participants, &transaction);
    try {
      const auto sent = Clock::now();
      client.Execute(transaction, execute_options, &reply);
      const auto answered = Clock::now();
      if (reply.outcome == Outcome::kCommitted) {
        state->latencies_us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(answered - sent).count());
        state->committed.fetch_add(1, std::memory_order_relaxed);
      } else if (reply.outcome == Outcome::kAborted) {
        state->aborted.fetch_add(1, std::memory_order_relaxed);
        if (state->first_abort_reason.empty()) state->first_abort_reason = reply.reason;
      } else {
        state->CountError(std::string("unexpected outcome ") + OutcomeName(reply.outcome));
      }
    } catch (const ClientError& e) {
      if (e.refused_by_service()) {
        state->CountError(std::string("TxError ") + ErrorCodeName(e.code()) + ": " + e.detail());
      } else {
        // The client dropped the broken connection; the next call connects anew.
        state->CountError(e.detail());
        std::this_thread::sleep_for(kReconnectPause);
      }
    }
  }
}

struct Totals {
  int64_t committed = 0;
  int64_t aborted = 0;
  int64_t errors = 0;
};

Totals Sum(const std::vector<std::unique_ptr<ClientState>>& states) {
  Totals totals;
  for (const auto& state : states) {
    totals.committed += state->committed.load(std::memory_order_relaxed);
    totals.aborted += state->aborted.load(std::memory_order_relaxed);
    totals.errors += state->errors.load(std::memory_order_relaxed);
  }
  return totals;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void PrintProgress(std::ostream& out, double elapsed, const Totals& totals) {
  char line[160];
  std::snprintf(line, sizeof(line),
                "txbench: %5.1f s  committed %lld  tps %.1f  aborted %lld  errors %lld\n", elapsed,
                static_cast<long long>(totals.committed),
                elapsed > 0 ? static_cast<double>(totals.committed) / elapsed : 0.0,
                static_cast<long long>(totals.aborted), static_cast<long long>(totals.errors));
  out << line << std::flush;
}

// Sleeps until `deadline` (or an interrupt), printing progress once a second.
void WatchRun(const WorkloadConfig& config, Clock::time_point start, Clock::time_point deadline,
              const std::vector<std::unique_ptr<ClientState>>& states) {
  Clock::time_point next_progress = start + kProgressInterval;
  while (!Interrupted()) {
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return;
    if (now >= next_progress) {
      if (config.progress != nullptr)
        PrintProgress(*config.progress, SecondsSince(start), Sum(states));
      next_progress += kProgressInterval;
    }
    std::this_thread::sleep_until(std::min({now + kPollInterval, next_progress, deadline}));
  }
}

}  // namespace

StatusOr<WorkloadResult> RunWorkload(const WorkloadConfig& config) {
  StartGate gate(config.clients);
  std::vector<std::unique_ptr<ClientState>> states;
  std::vector<std::thread> threads;
  std::random_device entropy;
  for (int i = 0; i < config.clients; ++i) {
    states.push_back(std::make_unique<ClientState>());
    const uint64_t seed = (static_cast<uint64_t>(entropy()) << 32) ^ entropy() ^ i;
    threads.emplace_back(RunClient, std::cref(config), seed, &gate, states.back().get());
  }

  const int failed = gate.WaitForAll();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::seconds(config.seconds);
  gate.Open(deadline, /*cancelled=*/failed > 0 || Interrupted());
  if (failed == 0) WatchRun(config, start, deadline, states);
  for (std::thread& thread : threads) thread.join();
  const double elapsed = SecondsSince(start);

  if (failed > 0) {
    std::string error;
    for (const auto& state : states) {
      if (!state->connect_error.empty()) {
        error = std::to_string(failed) + " of " + std::to_string(config.clients) +
                " clients could not connect to " + config.coordinator.ToString() + ": " +
                state->connect_error;
        break;
      }
    }
    return Status::IoError(error);
  }

  const Totals totals = Sum(states);
  WorkloadResult result;
  result.committed = totals.committed;
  result.aborted = totals.aborted;
  result.errors = totals.errors;
  result.elapsed_seconds = elapsed;
  result.commit_latencies_us.reserve(static_cast<size_t>(totals.committed));
  for (const auto& state : states) {
    result.commit_latencies_us.insert(result.commit_latencies_us.end(), state->latencies_us.begin(),
                                      state->latencies_us.end());
    if (result.first_abort_reason.empty()) result.first_abort_reason = state->first_abort_reason;
    if (result.first_error.empty()) result.first_error = state->first_error;
  }
  return result;
}

}  // namespace twopc::txbench
