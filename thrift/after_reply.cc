#include "thrift/after_reply.h"

#include <exception>

#include <glog/logging.h>

namespace twopc::rpc {
namespace {

thread_local std::vector<std::function<void()>>* current_scope = nullptr;

void RunLogged(const std::function<void()>& work) {
  try {
    work();
  } catch (const std::exception& e) {
    LOG(ERROR) << "work after a reply failed: " << e.what();
  }
}

}  // namespace

void AfterReply(std::function<void()> work) {
  if (current_scope == nullptr) {
    RunLogged(work);
    return;
  }
  current_scope->push_back(std::move(work));
}

AfterReplyScope::AfterReplyScope() : outer_(current_scope) { current_scope = &work_; }

AfterReplyScope::~AfterReplyScope() {
  current_scope = outer_;
  for (const std::function<void()>& work : work_) RunLogged(work);
}

}  // namespace twopc::rpc
