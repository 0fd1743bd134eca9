// Live progress of configure and make: what is being built, elapsed and expected time.

#include "builder/command_progress.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace xenbuild;
using builder::detail::builtFile;

TEST_CASE("builder::builtFile reads Kbuild's quiet lines", "[build][builder]") {
    CHECK(builtFile("  CC      common/sched/core.o") == "common/sched/core.o");
    CHECK(builtFile("  CC      arch/x86/hvm/vmx/vmcs.o") == "arch/x86/hvm/vmx/vmcs.o");
    CHECK(builtFile("  HOSTCC  tools/symbols") == "tools/symbols");
    CHECK(builtFile("  OBJCOPY xen.efi") == "xen.efi");
    CHECK(builtFile("  LD      xen-syms") == "xen-syms");
    CHECK(builtFile("  GEN     arch/x86/include/asm/asm-macros.h") ==
          "arch/x86/include/asm/asm-macros.h");
    // Not Kbuild: no indentation, lower case, an option, a lone word.
    CHECK_FALSE(builtFile("CC common/sched/core.o"));
    CHECK_FALSE(builtFile("  checking for gcc... gcc"));
    CHECK_FALSE(builtFile("  CFLAGS  -O2"));
    CHECK_FALSE(builtFile("  CC"));
    CHECK_FALSE(builtFile(""));
}

TEST_CASE("builder::builtFile reads compiler command lines", "[build][builder]") {
    CHECK(builtFile("gcc  -m64 -DBUILD_ID -O2 -c -o xl_cmdtable.o xl_cmdtable.c") ==
          "xl_cmdtable.c");
    CHECK(builtFile("gcc -O2 -o xl.o -c xl.c -MMD -MF .xl.o.d") == "xl.c");
    CHECK(builtFile("x86_64-linux-gnu-gcc-12 -c -o head.o head.S") == "head.S");
    CHECK(builtFile("ccache /usr/bin/cc -c lib.cpp -o lib.o") == "lib.cpp");
    CHECK(builtFile("clang++ -c -o a.o a.cc") == "a.cc");
    // A link: its output.
    CHECK(builtFile("gcc -Wl,-rpath-link=. -o xl xl.o xl_cmdtable.o -lxenctrl") == "xl");
    // Not a compiler, or nothing named.
    CHECK_FALSE(builtFile("make[2]: Entering directory '/build/xen/tools/xl'"));
    CHECK_FALSE(builtFile("ar rcs libxenctrl.a xc_core.o"));
    CHECK_FALSE(builtFile("gcc --version"));
    CHECK_FALSE(builtFile("gccgo -c x.go"));
}

namespace {

struct Events final : util::ProgressObserver {
    std::mutex mutex;
    std::vector<util::ProgressEvent> events;
    void onEvent(const util::ProgressEvent& event) override {
        const std::lock_guard lock(mutex);
        events.push_back(event);
    }
    std::size_t count() {
        const std::lock_guard lock(mutex);
        return events.size();
    }
};

} // namespace

TEST_CASE("builder::CommandProgress reports the file being built on each line",
          "[build][builder]") {
    Events events;
    {
        builder::detail::CommandProgress progress(events, "build x", 90,
                                                  std::chrono::milliseconds(0));
        progress.onLine("make[1]: Entering directory '/build/xen/xen'");
        progress.onLine("  CC      common/sched/core.o");
        progress.onLine("common/sched/core.c: warning: unused variable");
    }
    REQUIRE(events.events.size() == 3);
    CHECK(events.events[0].text.empty());
    CHECK(events.events[0].done == 0);
    for (const auto& event : events.events) {
        CHECK(event.kind == util::ProgressEvent::Kind::Progress);
        CHECK(event.activity == "build x");
        CHECK(event.unit == "files");
        CHECK(event.expectedSeconds == 90);
    }
    CHECK(events.events[1].text == "common/sched/core.o");
    CHECK(events.events[2].text == "common/sched/core.o"); // until make names the next one
    CHECK(events.events[2].done == 1);
    CHECK(events.events[2].elapsedSeconds >= events.events[0].elapsedSeconds);
}

TEST_CASE("builder::CommandProgress repeats while the command prints nothing", "[build][builder]") {
    Events events;
    {
        builder::detail::CommandProgress progress(events, "build x", 0,
                                                  std::chrono::milliseconds(5));
        progress.onLine("  LD      xen-syms");
        for (int i = 0; i < 2000 && events.count() < 4; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const auto seen = events.count();
    REQUIRE(seen >= 4);
    CHECK(events.events.back().text == "xen-syms");
    CHECK(events.events.back().elapsedSeconds > 0);
    // Destroyed: no more ticks.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(events.count() == seen);
}
