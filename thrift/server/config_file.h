// The file `--config FILE` names: one flag per line, as on the command line.
//
//   # a comment (only at the start of a line)
//   --wal_dir=/var/lib/twopc/coordinator
//   listen=0.0.0.0:7700          (the leading -- may be left out)
//   --create_db                  (a boolean switch)
//
// Blank lines are skipped; leading and trailing blanks are trimmed; the value
// is everything after the first '=', taken literally (no quoting). Pure: no
// I/O except ReadConfigFile.
#pragma once

#include <string>
#include <vector>

#include "wal/base/status.h"

namespace twopc::program {

// One command-line argument and where it came from ("" for the command line,
// "FILE line N" for a config file), for error messages.
struct SourcedArg {
  std::string text;
  std::string origin;
};

// Turns the text of a config file into `--flag=value` arguments, appended to
// *args. `path` only names the file in errors. Returns InvalidArgument with a
// one-line reason on a line that is not a flag.
Status ParseConfigText(const std::string& text, const std::string& path,
                       std::vector<SourcedArg>* args);

// Reads and parses `path`, appending its flags to *args. Returns IoError with a
// one-line reason when it is missing or unreadable, and InvalidArgument (see
// ParseConfigText) when it is malformed.
Status ReadConfigFile(const std::string& path, std::vector<SourcedArg>* args);

}  // namespace twopc::program
