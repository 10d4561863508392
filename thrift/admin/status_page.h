// The status page served at / by txcoord and txpart: one self-contained HTML
// document whose script polls /status.json every second and draws it. No
// external assets.
#pragma once

namespace twopc::admin {

const char* StatusPageHtml();

}  // namespace twopc::admin
