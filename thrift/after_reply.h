// Work a handler leaves for after its reply is sent, so that the caller's
// latency does not include it (a participant applies carried commits this
// way). The server runs it on the serving thread once the call's reply is
// flushed; the next request on that connection waits for it, others do not.
#pragma once

#include <functional>
#include <vector>

namespace twopc::rpc {

// Runs `work` after the reply of the call served on this thread is sent; at
// once when this thread serves no call (a handler called directly, a test).
void AfterReply(std::function<void()> work);

// Held by the server around one call: its destructor runs what the call left
// (also when the call failed: the work is owed either way). Exceptions from
// the work are logged, not thrown.
class AfterReplyScope {
 public:
  AfterReplyScope();
  ~AfterReplyScope();
  AfterReplyScope(const AfterReplyScope&) = delete;
  AfterReplyScope& operator=(const AfterReplyScope&) = delete;

 private:
  std::vector<std::function<void()>> work_;
  std::vector<std::function<void()>>* outer_;
};

}  // namespace twopc::rpc
