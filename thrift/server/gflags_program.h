// The command-line conventions of the gflags programs (txcoord, txpart):
//   --help, -h          the program's help (usage, examples, exit codes, its
//                       flags), exit 0
//   --version           "NAME (twopc) VERSION", exit 0
//   --config FILE       the flags in FILE (config_file.h) are read as if given
//                       at that place on the command line; later flags win
//   a bad flag          "NAME: reason" on stderr, exit 2
//   --log_format=json   glog's messages as JSON lines (json_log_sink.h)
#pragma once

#include <optional>
#include <set>
#include <string>

#include "thrift/server/gflags_args.h"

namespace twopc::program {

// Exit status of a bad command line or config file, or of a start that failed.
constexpr int kExitCannotStart = 2;

struct GflagsProgram {
  std::string name;  // "txcoord"
  // What it is, usage, examples and exit codes; --help appends the flags.
  std::string help;
  // Canonical names of flags that may be given several times; not gflags
  // flags, their values land in ParsedArgs::repeated.
  std::set<std::string> repeatable;
};

// Parses the command line (see above), refuses positional arguments, and
// starts glog on stderr in the chosen format, with Thrift's messages sent to
// glog. Returns the exit status when main should return at once (after
// --help, --version or an error), nullopt when it should run.
std::optional<int> StartGflagsProgram(const GflagsProgram& program, int argc, char** argv,
                                      ParsedArgs* parsed);

// Reports the error that stops the program: "NAME: message" on stderr, or an
// ERROR line with --log_format=json.
void ReportError(const std::string& program, const std::string& message);

// The text --help prints: program.help followed by the program's own flags.
std::string GflagsHelpText(const GflagsProgram& program);

}  // namespace twopc::program
