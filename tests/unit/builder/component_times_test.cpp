// Where the time of a standard build goes: the make time of each in-tree component, read from
// the directories make names in its output.

#include "builder/component_times.hpp"
#include "builder/record.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace xenbuild;
using builder::detail::ComponentClock;

namespace {

std::vector<recipe::SourcePin> standardSources() {
    std::vector<recipe::SourcePin> sources(4);
    sources[0].name = "xen";
    sources[1].name = "qemu";
    sources[1].stageAt = "tools/qemu-xen";
    sources[2].name = "ovmf";
    sources[2].stageAt = "tools/firmware/ovmf-dir-remote";
    sources[3].name = "ipxe";
    sources[3].stageAt = "tools/firmware/etherboot/ipxe.tar.gz";
    sources[3].stageAs = recipe::StageAs::Tarball;
    return sources;
}

} // namespace

TEST_CASE("component times span the first to the last line naming the component's directory",
          "[build]") {
    ComponentClock clock(standardSources(), "/build/xen");
    clock.onLine("  CC      common/sched/core.o", 1);
    clock.onLine("make[7]: Entering directory '/build/xen/tools/firmware/ovmf-dir-remote'", 10);
    clock.onLine("gcc -c EfiRom.c -o EfiRom.o", 20);
    clock.onLine("make[7]: Leaving directory '/build/xen/tools/firmware/ovmf-dir-remote'", 600);
    // The tarball's directory counts for iPXE, and QEMU's out-of-tree build directory for QEMU.
    clock.onLine("make[6]: Entering directory '/build/xen/tools/firmware/etherboot'", 601);
    clock.onLine("make[6]: Leaving directory '/build/xen/tools/firmware/etherboot'", 700);
    clock.onLine("make[4]: Entering directory '/build/xen/tools/qemu-xen-build'", 710);
    clock.onLine("[2000/2000] Linking target qemu-system-i386", 1500);
    clock.onLine("make[4]: Leaving directory '/build/xen/tools/qemu-xen-build'", 1510);
    // Another tree's path with the same tail is not this build's.
    clock.onLine("/elsewhere/tools/qemu-xen-build", 1600);

    const auto spans = clock.spans();
    REQUIRE(spans.size() == 3); // the tree itself and unnamed components have none
    CHECK(spans.at("ovmf").start == 10);
    CHECK(spans.at("ovmf").end == 600);
    CHECK(spans.at("ipxe").start == 601);
    CHECK(spans.at("ipxe").end == 700);
    CHECK(spans.at("qemu").start == 710);
    CHECK(spans.at("qemu").end == 1510);
    CHECK(builder::detail::describeSpans(spans) ==
          "ipxe 601-700 s, ovmf 10-600 s, qemu 710-1510 s");
}

TEST_CASE("build record keeps the component times", "[build]") {
    builder::BuildResult built;
    built.plan = "xen_4_17";
    built.key = "09rjwzy4zx354smnv5y09wpa41vb5ix06h75d9a8cc9g2jsk4q64";
    built.log = "/store/logs/09rj.log";
    built.componentTimes = {{"ovmf", {10, 600}}, {"qemu", {710, 1510.5}}};
    const auto json = built.toJson();
    CHECK(json["componentTimes"]["qemu"]["end"] == 1510.5);
    const auto read = builder::detail::resultFromJson(json);
    REQUIRE(read.componentTimes.size() == 2);
    CHECK(read.componentTimes.at("ovmf").start == 10);
    CHECK(read.componentTimes.at("qemu").end == 1510.5);
}
