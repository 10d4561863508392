// Sets gflags from command-line arguments without gflags' own parser, which
// exits with status 1 on a bad flag and cannot say which config line it came
// from. Same syntax as gflags: --flag=value, --flag value, -flag, --bool,
// --nobool, '-' and '_' alike in names, "--" ends the flags.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "thrift/server/config_file.h"
#include "wal/base/status.h"

namespace twopc::program {

struct ParsedArgs {
  // Values of the repeatable flags, in the order given, by flag name.
  std::map<std::string, std::vector<std::string>> repeated;
  std::vector<std::string> positionals;
};

// `name` with '-' turned into '_' (gflags' canonical spelling).
std::string CanonicalFlagName(std::string name);

// Sets every flag in `args` (the last value of a flag wins). Flags named in
// `repeatable` (canonical names) are not gflags flags: their values are
// collected in parsed->repeated. Returns InvalidArgument with a one-line reason
// (naming the config line the flag came from, if any) on an unknown flag or a
// bad value.
Status ApplyGflagsArgs(const std::vector<SourcedArg>& args, const std::set<std::string>& repeatable,
                       ParsedArgs* parsed);

}  // namespace twopc::program
