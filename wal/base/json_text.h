// JSON text for the tools' machine-readable output.
#pragma once

#include <string>

namespace twopc::tools {

// `text` as a JSON string literal, quotes included, escaped per RFC 8259.
std::string JsonQuote(const std::string& text);

}  // namespace twopc::tools
