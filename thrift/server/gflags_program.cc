#include "thrift/server/gflags_program.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <vector>

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <thrift/TOutput.h>

#include "thrift/server/config_file.h"
#include "thrift/server/json_log_sink.h"
#include "thrift/server/version.h"

DEFINE_string(log_format, "text",
              "format of the log on stderr: text (glog's lines) or json (one JSON object per "
              "line: time, severity, program, thread, file, line, message)");

namespace twopc::program {
namespace {

bool json_logs = false;

bool IsHelp(const std::string& arg) {
  return arg == "--help" || arg == "-help" || arg == "-h" || arg == "--h";
}

bool IsVersion(const std::string& arg) { return arg == "--version" || arg == "-version"; }

// The command line with `--config FILE` replaced by the flags in FILE.
Status ExpandConfig(const std::vector<std::string>& args, std::vector<SourcedArg>* out) {
  bool config_seen = false;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string path;
    bool is_config = false;
    if (!flags_done && (arg == "--config" || arg == "-config")) {
      if (i + 1 >= args.size()) {
        return Status::InvalidArgument("--config needs a FILE");
      }
      path = args[++i];
      is_config = true;
    } else if (!flags_done && (arg.rfind("--config=", 0) == 0 || arg.rfind("-config=", 0) == 0)) {
      path = arg.substr(arg.find('=') + 1);
      is_config = true;
    }
    if (arg == "--") flags_done = true;
    if (!is_config) {
      out->push_back({arg, ""});
      continue;
    }
    if (config_seen) {
      return Status::InvalidArgument("--config given twice");
    }
    config_seen = true;
    TWOPC_RETURN_IF_ERROR(ReadConfigFile(path, out));
  }
  return Status::Ok();
}

// Thrift's own messages (refused TLS handshakes, dropped connections) go to
// the log as warnings, except the SSL_shutdown failures of a peer that closed
// first, which every TLS client causes (verbose log only).
void ThriftToLog(const char* message) {
  if (std::strncmp(message, "SSL_shutdown: ", 14) == 0) {
    VLOG(1) << "thrift: " << message;
  } else {
    LOG(WARNING) << "thrift: " << message;
  }
}

std::string DefaultText(const gflags::CommandLineFlagInfo& flag) {
  return flag.type == "string" ? "\"" + flag.default_value + "\"" : flag.default_value;
}

}  // namespace

std::string GflagsHelpText(const GflagsProgram& program) {
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  std::sort(flags.begin(), flags.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::string text = program.help;
  text += "\nFlags (--flag=value or --flag value; '-' and '_' alike in names):\n";
  text += "  --config FILE\n      read flags from FILE, one --flag=value per line (# comments)\n";
  for (const gflags::CommandLineFlagInfo& flag : flags) {
    // Only twopc's flags: glog's and gflags' are listed by --helpfull.
    if (flag.filename.rfind(TWOPC_SOURCE_DIR, 0) != 0) continue;
    text += "  --" + flag.name + " (" + flag.type + ", default " + DefaultText(flag) + ")\n      " +
            flag.description + "\n";
  }
  text += "glog's flags (--v, --minloglevel, ...) work too; --helpfull lists every flag.\n";
  return text;
}

std::optional<int> StartGflagsProgram(const GflagsProgram& program, int argc, char** argv,
                                      ParsedArgs* parsed) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (IsHelp(arg)) {
      std::cout << GflagsHelpText(program);
      return 0;
    }
    if (IsVersion(arg)) {
      std::cout << VersionLine(program.name) << "\n";
      return 0;
    }
  }
  gflags::SetUsageMessage(program.help);
  gflags::SetVersionString(kVersion);
  FLAGS_logtostderr = true;
  std::vector<SourcedArg> expanded;
  Status status = ExpandConfig(args, &expanded);
  if (status.ok()) status = ApplyGflagsArgs(expanded, program.repeatable, parsed);
  if (!status.ok()) {
    ReportError(program.name, status.message());
    return kExitCannotStart;
  }
  gflags::HandleCommandLineHelpFlags();  // --helpfull and friends
  if (!parsed->positionals.empty()) {
    ReportError(program.name, "unexpected argument '" + parsed->positionals[0] + "'");
    return kExitCannotStart;
  }
  if (FLAGS_log_format != "text" && FLAGS_log_format != "json") {
    ReportError(program.name, "--log_format must be text or json, got '" + FLAGS_log_format + "'");
    return kExitCannotStart;
  }
  google::InitGoogleLogging(argv[0]);
  if (FLAGS_log_format == "json") {
    UseJsonLogs(program.name);
    json_logs = true;
  }
  apache::thrift::GlobalOutput.setOutputFunction(ThriftToLog);
  return std::nullopt;
}

void ReportError(const std::string& program, const std::string& message) {
  if (json_logs) {
    LOG(ERROR) << message;
  } else {
    std::cerr << program << ": " << message << std::endl;
  }
}

}  // namespace twopc::program
