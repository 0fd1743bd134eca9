// End-to-end tests of `xenbuild build` on the Xen-shaped tree: staging, patch order, outputs,
// checks, the cache, and what the sandbox forbids.

#include "e2e/build_fixture.hpp"
#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/test_paths.hpp"
#include "xenbuild/builder/pe.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <map>
#include <thread>

using namespace xenbuild::testing;

namespace {

// Store entries whose name ends with `suffix` (build outputs are named xen-4.19.0[-output]).
std::size_t countEntries(const fs::path& store, const std::string& needle) {
    std::size_t count = 0;
    for (const auto& item : fs::directory_iterator(store)) {
        if (item.path().filename().string().find(needle) != std::string::npos) ++count;
    }
    return count;
}

// A TCP listener on 127.0.0.1 of the host; counts connections that reach it.
struct Listener {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int port = 0;
    Listener() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(fd, 8);
        socklen_t length = sizeof address;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
    }
    ~Listener() { ::close(fd); }
    int accepted() const {
        int count = 0;
        while (true) {
            const int client = ::accept(fd, nullptr, nullptr);
            if (client < 0) return count;
            ::close(client);
            ++count;
        }
    }
};

} // namespace

TEST_CASE("build: a slim build stages, patches in order, installs checked outputs, then is cached",
          "[build][e2e]") {
    FakeUpstream upstream;
    const auto first = upstream.xenbuildStdout("build xen_4_19-slim --json -o " +
                                               shellQuote((upstream.root / "result").string()) +
                                               " " + upstream.hostProfileArg());
    REQUIRE(first.status == 0);
    const auto results = nlohmann::json::parse(first.output);
    REQUIRE(results.size() == 1);
    const auto& result = results[0];
    CHECK(result["cached"] == false);
    CHECK(result["sandbox"] == "namespaces");
    REQUIRE(result["checks"].size() == 5);
    for (const auto& check : result["checks"])
        CHECK(check["passed"] == true);
    CHECK(result["checks"][3]["kind"] == "elf"); // hvmloader: every build has it
    CHECK(result["checks"][4]["kind"] == "relocatable");

    // The local patches applied in order (0002 only applies on top of 0001). Each output
    // holds its files at their install paths on the target host.
    CHECK(xenbuild::testing::readFile(upstream.root / "result" / "usr" / "sbin" / "xl")
              .find("twice patched Xen 4.19.0") != std::string::npos);
    CHECK(fs::is_regular_file(upstream.root / "result" / "etc" / "xen" / "xl.conf"));
    CHECK(fs::is_directory(upstream.root / "result" / "var" / "lib" / "xen" / "dump"));
    const fs::path boot = upstream.root / "result-boot" / "boot";
    CHECK(xenbuild::builder::inspectPe(boot / "xen.efi").isPe32PlusX86_64());
    CHECK(fs::exists(boot / "xen.gz"));
    const fs::path pkgconfig = upstream.root / "result-dev" / "usr" / "lib" / "pkgconfig";
    CHECK(xenbuild::testing::readFile(pkgconfig / "xenlight.pc").starts_with("prefix=/usr\n"));
    CHECK(fs::exists(upstream.root / "result-dev" / "usr" / "include" / "xenctrl.h"));
    CHECK(fs::exists(upstream.root / "result-man" / "usr" / "share" / "man" / "man1" / "xl.1"));
    CHECK(fs::exists(upstream.root / "result-doc" / "usr" / "share" / "doc" / "xen" / "README"));
    CHECK_FALSE(fs::exists(upstream.root / "result" / "usr" / "include"));
    CHECK_FALSE(fs::exists(upstream.root / "result" / "boot"));
    // Slim: no internal firmware was built, only hvmloader.
    CHECK(xenbuild::testing::fileNames(upstream.root / "result" / "usr" / "lib" / "xen" / "boot") ==
          std::vector<std::string>{"hvmloader"});

    const auto second =
        upstream.xenbuildStdout("build xen_4_19-slim --json " + upstream.hostProfileArg());
    REQUIRE(second.status == 0);
    const auto cached = nlohmann::json::parse(second.output)[0];
    CHECK(cached["cached"] == true);
    CHECK(cached["outputs"] == result["outputs"]);

    const auto verify = upstream.xenbuild("store verify");
    CHECK(verify.status == 0);
    const auto log = upstream.xenbuild("log xen_4_19-slim " + upstream.hostProfileArg());
    CHECK(log.status == 0);
    CHECK(log.output.find("configure: prefix") != std::string::npos);
}

TEST_CASE("build: a standard build stages the internal components where Xen finds them",
          "[build][e2e]") {
    FakeUpstream upstream;
    const auto built = upstream.xenbuildStdout("build xen_4_19 --json -o " +
                                               shellQuote((upstream.root / "result").string()));
    INFO(built.output);
    REQUIRE(built.status == 0);
    // The fake components build images of the real shape (tests/data/fake-components), and the
    // checks of what is built in-tree pass on them: the SeaBIOS version made from the pinned tag,
    // OVMF's firmware volumes, iPXE's two ROMs (the tarball the tree unpacked), hvmloader's
    // ELF32 and QEMU's --version, run in the sandbox with the output's libxenctrl.
    const auto result = nlohmann::json::parse(built.output)[0];
    std::map<std::string, std::string> details;
    for (const auto& check : result["checks"]) {
        INFO(check.dump());
        CHECK(check["passed"] == true);
        details[check["kind"].get<std::string>()] = check["detail"].get<std::string>();
    }
    CHECK(result["checks"].size() == 9);
    CHECK(details["elf"] == "/usr/lib/xen/boot/hvmloader: ELF32 i386");
    CHECK(details["seabios"] == "/usr/lib/xen/boot/seabios.bin: SeaBIOS rel-1.16.3-Xen, 256 KiB "
                                "(pinned: seabios at rel-1.16.3)");
    CHECK(details["uefi-firmware"] ==
          "/usr/lib/xen/boot/ovmf.bin: UEFI firmware, 2 MiB, 3 firmware volumes");
    CHECK(details["option-rom"] == "/usr/lib/xen/boot/ipxe.bin: 2 PCI option ROMs: 10ec:8139 "
                                   "(4 KiB), 8086:100e (4 KiB)");
    CHECK(details["program-version"] ==
          "'/usr/lib/xen/bin/qemu-system-i386 --version': QEMU emulator version 8.0.4 (fake, "
          "libxenctrl 4190), as the VERSION of the staged qemu tree says");
    const fs::path firmware = upstream.root / "result" / "usr" / "lib" / "xen" / "boot";
    CHECK(xenbuild::testing::fileNames(firmware) ==
          std::vector<std::string>{"hvmloader", "ipxe.bin", "ovmf.bin", "seabios.bin"});
    CHECK(
        fs::exists(upstream.root / "result" / "usr" / "lib" / "xen" / "bin" / "qemu-system-i386"));
}

TEST_CASE("build: a standard build whose firmware is not what was pinned fails its checks",
          "[build][e2e]") {
    FakeUpstream upstream;
    // Xen's Config.mk names another SeaBIOS revision than the branch file pins: the image says so.
    upstream.addPatch("0003-xen-other-seabios-4.19.patch", R"(--- a/Config.mk
+++ b/Config.mk
@@ -4,3 +4,3 @@
 SEABIOS_UPSTREAM_URL ?= https://xenbits.xen.org/git-http/seabios.git
-SEABIOS_UPSTREAM_TAG ?= rel-1.16.3
+SEABIOS_UPSTREAM_TAG ?= rel-1.16.2
 SEABIOS_UPSTREAM_REVISION ?= $(SEABIOS_UPSTREAM_TAG)
)");
    const auto built = upstream.xenbuild("build xen_4_19");
    INFO(built.output);
    CHECK(built.status == 1);
    CHECK_THAT(built.output,
               Catch::Matchers::Contains(
                   "the build's outputs fail their checks:\n  seabios: "
                   "/usr/lib/xen/boot/seabios.bin: SeaBIOS version rel-1.16.2-Xen; expected "
                   "rel-1.16.3-Xen (pinned: seabios at rel-1.16.3)"));
    CHECK(countEntries(upstream.store, "xen-4.19.0") == 0);
}

TEST_CASE("build: network access inside the build fails", "[build][e2e][sandbox]") {
    FakeUpstream upstream;
    Listener listener;
    upstream.addHook("0003", "network",
                     "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(listener.port) +
                         "' && echo NETWORK-REACHABLE\n");
    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg());
    CHECK(built.status == 1);
    CHECK(built.output.find("make failed") != std::string::npos);
    CHECK(built.output.find("NETWORK-REACHABLE") == std::string::npos);
    CHECK(listener.accepted() == 0);
    CHECK(countEntries(upstream.store, "xen-4.19.0") == 0); // nothing half-built in the store
}

TEST_CASE("build: writes outside the build directory fail", "[build][e2e][sandbox]") {
    FakeUpstream upstream;
    const fs::path escape = upstream.store / "escaped";
    upstream.addHook("0003", "escape",
                     "touch " + escape.string() + " || true\ntouch /usr/xenbuild-escape\n");
    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg());
    CHECK(built.status == 1);
    CHECK(built.output.find("/usr/xenbuild-escape") != std::string::npos);
    CHECK_FALSE(fs::exists(escape));
    CHECK_FALSE(fs::exists("/usr/xenbuild-escape"));
}

TEST_CASE("build: a source with a wrong hash is refused and nothing is built", "[build][e2e]") {
    FakeUpstream upstream;
    const fs::path branch = upstream.recipes / "xen" / "4.19.json";
    std::string text = xenbuild::testing::readFile(branch);
    const auto at = text.find("\"hash\": \"sha256-") + 16;
    text[at] = text[at] == 'A' ? 'B' : 'A';
    writeFile(branch, text);
    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg());
    CHECK(built.status == 1);
    CHECK(built.output.find("hash mismatch for source 'xen'") != std::string::npos);
    CHECK(countEntries(upstream.store, "xen-4.19.0") == 0);
}

TEST_CASE("build: a stageAt leaving the tree is refused before anything is touched",
          "[build][e2e]") {
    // <store>/.tmp/build-<key>/xen/../../../../victim is <root>/victim: the build once deleted it.
    FakeUpstream upstream;
    writeFile(upstream.root / "victim" / "keep.txt", "precious\n");
    const fs::path builder = upstream.recipes / "xen" / "builder.json";
    std::string text = xenbuild::testing::readFile(builder);
    text.replace(text.find("\"tools/qemu-xen\""), 16, "\"../../../../victim\"");
    writeFile(builder, text);
    const auto built = upstream.xenbuild("build xen_4_19");
    CHECK(built.status == 1);
    CHECK(built.output.find("builder.json:92:18: schema violation at /sources/1/stageAt: "
                            "expected a path relative to the Xen tree") != std::string::npos);
    CHECK(xenbuild::testing::readFile(upstream.root / "victim" / "keep.txt") == "precious\n");
}

TEST_CASE("build: a patch that does not apply names the patch, file and hunk", "[build][e2e]") {
    FakeUpstream upstream;
    upstream.addPatch("0003-xen-stale-4.19.patch",
                      "--- a/tools/Makefile\n+++ b/tools/Makefile\n@@ -55,2 +55,2 @@\n xl:\n"
                      "-\tthis line is not in the file\n+\treplacement\n");
    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg());
    CHECK(built.status == 1);
    CHECK(built.output.find("0003-xen-stale-4.19.patch") != std::string::npos);
    CHECK(built.output.find("tools/Makefile") != std::string::npos);
    CHECK(built.output.find("hunk") != std::string::npos);
}

TEST_CASE("build: --rebuild builds again and finds the fake tree reproducible", "[build][e2e]") {
    FakeUpstream upstream;
    REQUIRE(upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg()).status == 0);
    const auto again = upstream.xenbuildStdout("build xen_4_19-slim --rebuild --json " +
                                               upstream.hostProfileArg());
    REQUIRE(again.status == 0);
    const auto result = nlohmann::json::parse(again.output)[0];
    CHECK(result["cached"] == false);
    CHECK_FALSE(result.contains("differingFiles"));
}

TEST_CASE("build: an interrupted build stops every process and leaves nothing behind",
          "[build][e2e][sandbox]") {
    FakeUpstream upstream;
    upstream.addHook("0003", "sleep", "sleep 300\n");
    const std::string command =
        "echo $$ > build.pid; exec " + shellQuote(::xenbuild::testing::xenbuildBinary()) +
        " --recipes recipes --store store build xen_4_19-slim " + upstream.hostProfileArg();
    const auto started =
        run("cd " + shellQuote(upstream.root.string()) + " && (sh -c " + shellQuote(command) +
            " > build.out 2>&1; echo $? > build.rc) > /dev/null 2>&1 & echo started");
    REQUIRE(started.status == 0);
    bool hookRunning = false;
    for (int i = 0; i < 200 && !hookRunning; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        hookRunning = xenbuild::testing::processWithTokenAlive("hooks/sleep.sh");
    }
    REQUIRE(hookRunning);
    runOk("kill -INT $(cat " + shellQuote((upstream.root / "build.pid").string()) + ")");
    bool finished = false;
    for (int i = 0; i < 200 && !finished; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        finished = fs::exists(upstream.root / "build.rc") &&
                   !xenbuild::testing::readFile(upstream.root / "build.rc").empty();
    }
    REQUIRE(finished);
    CHECK(xenbuild::testing::readFile(upstream.root / "build.rc") != "0\n");
    CHECK(xenbuild::testing::processWithTokenGone("hooks/sleep.sh"));
    CHECK(countEntries(upstream.store, "xen-4.19.0") == 0);
    CHECK(countEntries(upstream.store / ".tmp", "build-") == 0);
}

TEST_CASE("build: --exclude-patch names the plan's patches when the id is unknown",
          "[build][e2e]") {
    FakeUpstream upstream;
    const auto built = upstream.xenbuild("build xen_4_19-slim --exclude-patch XSA-999 " +
                                         upstream.hostProfileArg());
    CHECK(built.status == 2);
    CHECK(built.output.find("--exclude-patch 'XSA-999': 'xen_4_19-slim' has no such patch (its "
                            "patches: 0001-xen-patched-xl-4.19.patch, "
                            "0002-xen-patched-again-4.19.patch)") != std::string::npos);
}

TEST_CASE("build: patches list and store path describe a package before and after building",
          "[build][e2e]") {
    FakeUpstream upstream;
    const auto list = upstream.xenbuild("patches list 4.19");
    CHECK(list.status == 0);
    CHECK(list.output.find("0001-xen-patched-xl-4.19.patch  xen  fuzz 0  local") !=
          std::string::npos);
    const auto before = upstream.xenbuild("store path xen_4_19-slim " + upstream.hostProfileArg());
    CHECK(before.status == 0);
    CHECK(before.output.find("output boot: ") != std::string::npos);
    CHECK(before.output.find("(not in the store)") != std::string::npos);
    REQUIRE(upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg()).status == 0);
    const auto after = upstream.xenbuild("store path xen_4_19-slim " + upstream.hostProfileArg());
    CHECK(after.output.find("(not in the store)") == std::string::npos);
}
