#pragma once
// The one place the command line renders: results on stdout (plain lines, or one JSON document
// with --json), progress and notes on stderr (a live line rewritten in place on a terminal,
// plain lines otherwise, nothing with -q). Commands never write to std::cout or std::cerr
// themselves.

#include "cli/context.hpp"
#include "xenbuild/util/progress.hpp"

#include <nlohmann/json_fwd.hpp>

#include <iosfwd>
#include <memory>
#include <string_view>
#include <vector>

namespace xenbuild::cli {

// Fetch-style progress: "[done/started] activity: detail" rewritten in place on a terminal,
// "activity: fetching ..." / "activity: done ..." lines otherwise, nothing with -q.
std::unique_ptr<util::ProgressObserver> makeProgressView(const GlobalOptions& global);

// Every event as one line "activity: text" (the boot test's steps), nothing with -q.
std::unique_ptr<util::ProgressObserver> makeEventLines(const GlobalOptions& global);

class Output {
  public:
    // `json`: the command's --json; results then go out as one document through json().
    Output(const GlobalOptions& global, bool json, std::ostream& out, std::ostream& err);
    Output(const GlobalOptions& global, bool json);

    bool json() const { return json_; }

    // A result line on stdout ('\n' added).
    void line(std::string_view text);
    // Rows of cells as columns two spaces apart, each as wide as its widest cell (the first row
    // is the header); trailing blanks cut.
    void table(const std::vector<std::vector<std::string>>& cells);
    // Result text on stdout as it is (a diff, a log).
    void text(std::string_view text);
    // Everything `in` holds, on stdout as it is (a build log).
    void copy(std::istream& in);
    // The --json document on stdout, indented by 2.
    void json(const nlohmann::json& document);
    // A message for people on stderr ('\n' added), not with -q.
    void note(std::string_view text);

    // The progress view for the library's events (makeProgressView). Done with it: finish().
    util::ProgressObserver& progress();
    // Clears the live line, so that results follow on a clean terminal.
    void finish();

  private:
    const GlobalOptions& global_;
    bool json_;
    std::ostream& out_;
    std::ostream& err_;
    std::unique_ptr<util::ProgressObserver> progress_;
};

} // namespace xenbuild::cli
