#include "thrift/server/gflags_args.h"

#include <algorithm>

#include <gflags/gflags.h>

namespace twopc::program {
namespace {

bool IsBoolFlag(const std::string& name) {
  gflags::CommandLineFlagInfo info;
  return gflags::GetCommandLineFlagInfo(name.c_str(), &info) && info.type == "bool";
}

bool IsFlag(const std::string& name) {
  gflags::CommandLineFlagInfo info;
  return gflags::GetCommandLineFlagInfo(name.c_str(), &info);
}

std::string Where(const SourcedArg& arg) { return arg.origin.empty() ? "" : arg.origin + ": "; }

}  // namespace

std::string CanonicalFlagName(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

Status ApplyGflagsArgs(const std::vector<SourcedArg>& args, const std::set<std::string>& repeatable,
                       ParsedArgs* parsed) {
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const SourcedArg& arg = args[i];
    const std::string& text = arg.text;
    if (flags_done || text.size() < 2 || text[0] != '-') {
      parsed->positionals.push_back(text);
      continue;
    }
    if (text == "--") {
      flags_done = true;
      continue;
    }
    const std::string body = text.substr(text.rfind("--", 0) == 0 ? 2 : 1);
    const size_t equals = body.find('=');
    const std::string spelled = "--" + body.substr(0, equals);
    std::string name = CanonicalFlagName(body.substr(0, equals));
    std::string value;
    if (equals != std::string::npos) {
      value = body.substr(equals + 1);
    } else if (IsBoolFlag(name)) {
      value = "true";
    } else if (name.rfind("no", 0) == 0 && IsBoolFlag(name.substr(2))) {
      name = name.substr(2);
      value = "false";
    } else if (IsFlag(name) || repeatable.count(name)) {
      // "--flag value": the value is the next argument, from the same source.
      if (i + 1 >= args.size() || args[i + 1].origin != arg.origin) {
        return Status::InvalidArgument(Where(arg) + spelled + " needs a value");
      }
      value = args[++i].text;
    }
    if (repeatable.count(name)) {
      parsed->repeated[name].push_back(value);
      continue;
    }
    gflags::CommandLineFlagInfo info;
    if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
      return Status::InvalidArgument(Where(arg) + "unknown flag '" + spelled + "'");
    }
    if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
      return Status::InvalidArgument(Where(arg) + "bad value '" + value + "' for " + spelled +
                                     " (" + info.type + ")");
    }
  }
  return Status::Ok();
}

}  // namespace twopc::program
