#pragma once
// When each staged component's part of the make step ran, read from make's own output (internal
// to the builder module): Xen's make enters the directory of every in-tree component
// (tools/firmware/ovmf-dir-remote, tools/qemu-xen-build, ...) and names it in its "Entering
// directory" and "Leaving directory" lines, so the first and the last line that names a
// component's directory bound the time spent on it.

#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/plan.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::builder::detail {

class ComponentClock {
  public:
    // One component per source staged inside the tree (not the tree itself): its directory as
    // make prints it, `treeDir` (the tree as the build sees it, e.g. /build/xen) joined with the
    // source's stageAt, or the directory holding it for a tarball. A prefix, so QEMU's
    // out-of-tree build directory (tools/qemu-xen-build) counts as QEMU's.
    ComponentClock(const std::vector<recipe::SourcePin>& sources,
                   const std::filesystem::path& treeDir);

    // A line of output, `seconds` after the step started.
    void onLine(std::string_view line, double seconds);

    // Components whose directory appeared in at least one line.
    std::map<std::string, TimeSpan> spans() const { return spans_; }

  private:
    std::vector<std::pair<std::string, std::string>> directories_; // name, prefix
    std::map<std::string, TimeSpan> spans_;
};

// "ovmf 12-624 s, qemu 630-1410 s": the spans for the build log.
std::string describeSpans(const std::map<std::string, TimeSpan>& spans);

} // namespace xenbuild::builder::detail
