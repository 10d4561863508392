// JSON text for machine-readable output (tools, JSON logs, the status page).
#pragma once

#include <string>

namespace twopc {

// `text` as a JSON string literal, quotes included, escaped per RFC 8259.
std::string JsonQuote(const std::string& text);

}  // namespace twopc
