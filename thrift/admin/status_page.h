// The status page served at / by txcoord and txpart: one self-contained HTML
// document whose script polls /status.json every second and draws it. No
// external assets.
#pragma once

#include <functional>
#include <string>

#include "thrift/admin/admin_server.h"
#include "thrift/admin/metric_families.h"
#include "thrift/admin/status_view.h"

namespace twopc::admin {

const char* StatusPageHtml();

// What both servers' admin endpoints serve: / (the page), /metrics
// (Prometheus text from `metrics`), /status.json and /status.txt (`view`).
Routes StatusRoutes(std::function<std::string()> metrics, std::function<StatusView()> view);

}  // namespace twopc::admin
