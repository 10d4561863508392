#include "thrift/server/batch_scheduling.h"

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <gflags/gflags.h>
#include <glog/logging.h>

DEFINE_bool(sched_batch, true,
            "run the server's threads under SCHED_BATCH: a thread woken by a request or reply "
            "waits for the thread that woke it to block instead of preempting it (fewer context "
            "switches); --nosched_batch keeps the default policy");

namespace twopc::rpc {

Status UseBatchScheduling() {
  sched_param param{};
  param.sched_priority = 0;
  if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
    return Status::IoError(std::string("sched_setscheduler(SCHED_BATCH): ") + std::strerror(errno));
  }
  return Status::Ok();
}

void ApplySchedulingFlag() {
  if (!FLAGS_sched_batch) return;
  if (const Status status = UseBatchScheduling(); !status.ok()) {
    LOG(WARNING) << status.message() << "; running under the default scheduling policy";
  }
}

}  // namespace twopc::rpc
