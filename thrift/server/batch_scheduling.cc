#include "thrift/server/batch_scheduling.h"

#include <sched.h>

#include <cerrno>
#include <cstring>

#include <gflags/gflags.h>
#include <glog/logging.h>

DEFINE_bool(sched_batch, true,
            "run the server's threads under SCHED_BATCH: a thread woken by a request or reply "
            "waits for the thread that woke it to block instead of preempting it (fewer context "
            "switches); --nosched_batch keeps the default policy");

namespace twopc::rpc {

bool UseBatchScheduling(std::string* error) {
  sched_param param{};
  param.sched_priority = 0;
  if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
    *error = std::string("sched_setscheduler(SCHED_BATCH): ") + std::strerror(errno);
    return false;
  }
  return true;
}

void ApplySchedulingFlag() {
  if (!FLAGS_sched_batch) return;
  std::string error;
  if (!UseBatchScheduling(&error)) {
    LOG(WARNING) << error << "; running under the default scheduling policy";
  }
}

}  // namespace twopc::rpc
