// End-to-end store faults through the CLI: changed entries refused by prefetch and build and
// removed by `store repair`, `--check`, a held lock waited for (and said so), a stale lock file
// ignored, and a full store file system.

#include "e2e/build_fixture.hpp"
#include "support/files.hpp"
#include "support/git_fixture.hpp"
#include "support/small_fs.hpp"
#include "support/spawn.hpp"
#include "xenbuild/store/store.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using Catch::Matchers::Contains;
using xenbuild::testing::runXenbuild;
using xenbuild::testing::spawnXenbuild;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// Changes one byte in place, keeping the size and the modification time.
void flipByte(const fs::path& file) {
    struct stat before {};
    REQUIRE(::stat(file.c_str(), &before) == 0);
    ::chmod(file.c_str(), 0644);
    const int fd = ::open(file.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    char byte = 0;
    REQUIRE(::pread(fd, &byte, 1, 0) == 1);
    byte = static_cast<char>(byte ^ 0x20);
    REQUIRE(::pwrite(fd, &byte, 1, 0) == 1);
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    REQUIRE(::futimens(fd, times) == 0);
    ::close(fd);
    ::chmod(file.c_str(), before.st_mode & 07777);
}

std::string corruptMessage(const fs::path& entry) {
    return "error: store entry '" + entry.string() + "' is corrupt: ";
}

std::string repairHint(const fs::path& entry) {
    return "; it was not used. Run `xenbuild store repair " + entry.string() +
           "` to remove it, and the next prefetch or build makes it again";
}

// `flock FILE sleep 60` in a process group of its own (flock's child inherits the lock).
pid_t holdLock(const fs::path& lockFile) {
    fs::create_directories(lockFile.parent_path());
    std::vector<std::string> args = {"/usr/bin/flock", lockFile.string(), "/bin/sleep", "60"};
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    REQUIRE(rc == 0);
    for (int i = 0; i < 200; ++i) {
        if (xenbuild::testing::run("/usr/bin/flock -n " +
                                   xenbuild::testing::shellQuote(lockFile.string()) + " true")
                .status != 0) {
            return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("flock did not take the lock");
    return pid;
}

// Kills the holder's process group and waits until the kernel has released its lock.
void killGroup(pid_t pid, const fs::path& lockFile) {
    ::killpg(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    for (int i = 0; i < 500; ++i) {
        if (xenbuild::testing::run("/usr/bin/flock -n " +
                                   xenbuild::testing::shellQuote(lockFile.string()) + " true")
                .status == 0) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("the lock was not released after its holder was killed");
}

} // namespace

TEST_CASE("prefetch refuses a changed store entry; store repair removes it",
          "[e2e][store][integrity]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    xenbuild::testing::GitFixture repo(dir / "upstream");
    const auto fetched = runXenbuild(dir.path(), {"prefetch", "--git", repo.main.string(), "--rev",
                                                  "v1.0", "--json", "--store", store});
    REQUIRE(fetched.status == 0);
    const auto pin = Json::parse(fetched.out);
    const fs::path entry = pin["path"].get<std::string>();
    const std::string hash = pin["hash"];
    std::string detail;
    SECTION("one byte flipped") {
        flipByte(entry / "README");
        detail = "file names, modes, inode numbers or change times differ from when it was added";
    }
    SECTION("a file truncated") {
        ::chmod((entry / "README").c_str(), 0644);
        fs::resize_file(entry / "README", 2);
        detail = "bytes now, ";
    }
    SECTION("a file added") {
        ::chmod(entry.c_str(), 0755);
        xenbuild::testing::writeFile(entry / "added", "x");
        detail = "files and ";
    }
    SECTION("a file removed") {
        ::chmod((entry / "src" / "deep").c_str(), 0755);
        fs::remove(entry / "src" / "deep" / "file.c");
        detail = "files and ";
    }
    const std::vector<std::string> withHash = {
        "prefetch", "--git", repo.main.string(), "--rev", "v1.0", "--hash", hash, "--store", store};
    const std::vector<std::string> withoutHash = {
        "prefetch", "--git", repo.main.string(), "--rev", "v1.0", "--store", store};
    for (const auto& args : {withHash, withoutHash}) {
        const auto refused = runXenbuild(dir.path(), args);
        CHECK(refused.status == 1);
        CHECK(refused.out.empty()); // no hash printed
        CHECK_THAT(refused.err, Contains(corruptMessage(entry)) && Contains(detail) &&
                                    Contains("expected " + hash) && Contains(repairHint(entry)));
    }
    const auto verify = runXenbuild(dir.path(), {"store", "verify", "--store", store});
    CHECK(verify.status == 1);
    CHECK_THAT(verify.out, Contains(entry.string() + ": content changed"));
    CHECK_THAT(verify.err, Contains("1 store entries are corrupt; remove them with `xenbuild "
                                    "store repair`"));

    // The entry's path is enough: the store is its parent directory.
    const auto repaired = runXenbuild(dir.path(), {"store", "repair", entry.string()});
    INFO(repaired.err);
    CHECK(repaired.status == 0);
    CHECK_THAT(repaired.out,
               Contains("removed " + entry.string() + ": content changed: expected " + hash) &&
                   Contains("checked 1 entries: 1 removed, 0 fingerprints recorded again; the "
                            "next prefetch or build makes the removed entries again"));
    CHECK_FALSE(fs::exists(entry));
    const auto again = runXenbuild(dir.path(), withHash);
    CHECK(again.status == 0);
    CHECK_THAT(again.out, Contains("hash: " + hash));
    CHECK(runXenbuild(dir.path(), {"store", "verify", "--store", store}).status == 0);
}

TEST_CASE("prefetch --check re-hashes what the fingerprint cannot see", "[e2e][store][integrity]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    xenbuild::testing::writeFile(dir / "files" / "a.patch", "patch a\n");
    const std::vector<std::string> args = {"prefetch",
                                           "--url",
                                           "file://" + (dir / "files" / "a.patch").string(),
                                           "--hash",
                                           xenbuild::util::sha256("patch a\n").sri(),
                                           "--store",
                                           store};
    REQUIRE(runXenbuild(dir.path(), args).status == 0);
    auto checked = args;
    checked.push_back("--check");
    CHECK(runXenbuild(dir.path(), checked).status == 0);
    // Data that changed under an unchanged fingerprint (bit rot): simulated by recording the
    // fingerprint of the changed file.
    const std::string id = xenbuild::store::entryId(xenbuild::store::EntryKind::File,
                                                    xenbuild::util::sha256("patch a\n"), "a.patch");
    const fs::path entry = dir / "store" / id;
    flipByte(entry);
    const fs::path metaPath = dir / "store" / ".meta" / (id + ".json");
    auto meta = Json::parse(xenbuild::testing::readFile(metaPath));
    const auto now = xenbuild::store::fingerprintOf(entry);
    meta["fingerprint"] = {
        {"files", now.files}, {"bytes", now.bytes}, {"newest", now.newest}, {"digest", now.digest}};
    std::ofstream(metaPath) << meta.dump();

    CHECK(runXenbuild(dir.path(), args).status == 0); // the cheap check cannot tell
    const auto refused = runXenbuild(dir.path(), checked);
    CHECK(refused.status == 1);
    CHECK_THAT(refused.err, Contains(corruptMessage(entry) +
                                     "sizes and times are unchanged, but the data on disk "
                                     "changed; content hash "));
}

TEST_CASE("build refuses changed sources and outputs; store repair lets it fetch and build again",
          "[e2e][store][integrity][build]") {
    xenbuild::testing::FakeUpstream upstream;
    const std::string build = "build xen_4_19-slim " + upstream.hostProfileArg();
    REQUIRE(upstream.xenbuild(build).status == 0);
    const auto paths = Json::parse(
        upstream.xenbuildStdout("store path xen_4_19-slim --json " + upstream.hostProfileArg())
            .output);
    fs::path source;
    fs::path output;
    for (const auto& item : paths) {
        if (item["role"] == "source" && item["name"] == "xen")
            source = item["path"].get<std::string>();
        if (item["role"] == "output" && item["name"] == "out")
            output = item["path"].get<std::string>();
    }
    REQUIRE(fs::exists(source / "tools" / "Makefile"));
    REQUIRE(fs::exists(output / "usr" / "sbin" / "xl"));
    CHECK(upstream.xenbuild(build + " --check").status == 0);

    SECTION("a changed source") {
        flipByte(source / "tools" / "Makefile");
        const auto refused = upstream.xenbuild(build + " --rebuild");
        CHECK(refused.status == 1);
        CHECK_THAT(refused.output, Contains(corruptMessage(source).substr(7)) &&
                                       Contains(repairHint(source)) &&
                                       Contains("while fetching source 'xen' of"));
        const auto repaired = upstream.xenbuild("store repair " + source.string());
        CHECK(repaired.status == 0);
        CHECK_THAT(repaired.output, Contains("removed " + source.string()));
        const auto rebuilt = upstream.xenbuild(build + " --rebuild");
        INFO(rebuilt.output);
        CHECK(rebuilt.status == 0);
        CHECK(fs::exists(source / "tools" / "Makefile"));
    }
    SECTION("a changed output of a cached build") {
        flipByte(output / "usr" / "sbin" / "xl");
        const auto refused = upstream.xenbuild(build);
        CHECK(refused.status == 1);
        CHECK_THAT(refused.output,
                   Contains(corruptMessage(output).substr(7)) && Contains(repairHint(output)));
        CHECK(upstream.xenbuild("store repair " + output.filename().string()).status == 0);
        const auto rebuilt = upstream.xenbuildStdout(build + " --json");
        REQUIRE(rebuilt.status == 0);
        CHECK(Json::parse(rebuilt.output)[0]["cached"] == false);
        CHECK(fs::exists(output / "usr" / "sbin" / "xl"));
    }
    CHECK(upstream.xenbuild("store verify").status == 0);
}

TEST_CASE("store repair explains what it cannot repair", "[e2e][store][integrity]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    const auto none = runXenbuild(dir.path(), {"store", "repair", "--store", store});
    CHECK(none.status == 0);
    CHECK_THAT(none.out, Contains("checked 0 entries: 0 removed, 0 fingerprints recorded again"));
    const auto unknown = runXenbuild(dir.path(), {"store", "repair", "abc", "--store", store});
    CHECK(unknown.status == 1);
    CHECK_THAT(unknown.err, Contains("error: no entry 'abc' in the store '" + store + "'"));
    const auto outside = runXenbuild(dir.path(), {"store", "repair", "/etc/passwd"});
    CHECK(outside.status == 2);
    CHECK_THAT(outside.err, Contains("'/etc/passwd' is not a store entry"));
}

TEST_CASE("a held lock makes prefetch wait and say so; a stale lock file does not",
          "[e2e][store][lock]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    xenbuild::testing::writeFile(dir / "files" / "a.patch", "patch a\n");
    const auto hash = xenbuild::util::sha256("patch a\n");
    const std::vector<std::string> args = {
        "prefetch", "--url", "file://" + (dir / "files" / "a.patch").string(), "--hash", hash.sri(),
        "--store",  store};
    const std::string id =
        xenbuild::store::entryId(xenbuild::store::EntryKind::File, hash, "a.patch");
    const fs::path lockFile = dir / "store" / ".locks" / (id + ".lock");

    SECTION("stale: left behind by a process that is gone") {
        xenbuild::testing::writeFile(lockFile, "4194304\n");
        const pid_t holder = holdLock(dir / "store" / ".locks" / "gc.lock");
        // Killed while holding gc.lock: the kernel released it.
        killGroup(holder, dir / "store" / ".locks" / "gc.lock");
        const auto started = std::chrono::steady_clock::now();
        const auto result = runXenbuild(dir.path(), args);
        CHECK(result.status == 0);
        CHECK(result.err.find("waiting") == std::string::npos);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    }
    SECTION("held: waits, names the holder, proceeds when it is gone") {
        const pid_t holder = holdLock(lockFile);
        const auto waiter = spawnXenbuild(dir.path(), args, "waiter");
        std::string err;
        for (int i = 0; i < 500 && err.find("waiting") == std::string::npos; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            err = xenbuild::testing::readFile(waiter.err);
        }
        // The holder's command line is cut at 80 characters.
        CHECK_THAT(
            err, Contains("warning: waiting for process " + std::to_string(holder) +
                          " (/usr/bin/flock " + lockFile.string().substr(0, 20)) &&
                     Contains(") to release the lock " + lockFile.string() + " (file 'a.patch')"));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        int status = 0;
        CHECK(::waitpid(waiter.pid, &status, WNOHANG) == 0); // still waiting
        ::killpg(holder, SIGKILL);
        CHECK(waiter.wait() == 0);
        ::waitpid(holder, &status, 0);
        CHECK_THAT(waiter.stdoutText(), Contains("hash: " + hash.sri()));
    }
}

TEST_CASE("a full store file system: clear error, nothing half-written, works after freeing space",
          "[e2e][store][diskfull]") {
    TempDir dir;
    const xenbuild::testing::SmallFileSystem small(dir / "small", "8m");
    if (!small.skipReason().empty()) {
        WARN("skipped: " << small.skipReason());
        return;
    }
    const fs::path& mountPoint = small.path();
    const std::string store = (mountPoint / "store").string();
    // 12 MiB that does not compress, as a file, a tarball and a git repository.
    xenbuild::testing::runOk(
        "mkdir -p " + xenbuild::testing::shellQuote((dir / "src" / "big").string()) +
        " && head -c 12582912 /dev/urandom > " +
        xenbuild::testing::shellQuote((dir / "src" / "big" / "big.bin").string()) + " && cd " +
        xenbuild::testing::shellQuote((dir / "src").string()) +
        " && tar czf big.tar.gz big && cd big && git init -q && git add -A && git "
        "commit -qm big");
    const std::string fileUrl = "file://" + (dir / "src" / "big" / "big.bin").string();
    const std::string tarUrl = "file://" + (dir / "src" / "big.tar.gz").string();
    const std::vector<std::vector<std::string>> commands = {
        {"prefetch", "--url", fileUrl, "--store", store},
        {"prefetch", "--url", tarUrl, "--unpack", "--store", store},
        {"prefetch", "--git", (dir / "src" / "big").string(), "--rev", "HEAD", "--store", store}};
    const std::vector<std::string> what = {
        "file 'big.bin' from '" + fileUrl + "'", "tarball 'big' from '" + tarUrl + "'",
        "source 'big' from '" + (dir / "src" / "big").string() + "'"};
    for (std::size_t i = 0; i < commands.size(); ++i) {
        INFO(commands[i][1]);
        const auto full = runXenbuild(dir.path(), commands[i]);
        CHECK(full.status == 1);
        CHECK_THAT(full.err, Contains("error: no space left on device for the store '" + store +
                                      "' while fetching " + what[i]) &&
                                 Contains("nothing was added. Free space (e.g. `xenbuild store "
                                          "gc`) or use a store on a larger file system (--store "
                                          "DIR), then run the command again"));
        const auto listed = runXenbuild(dir.path(), {"store", "ls", "--json", "--store", store});
        CHECK(Json::parse(listed.out).empty());
        CHECK(fs::is_empty(mountPoint / "store" / ".tmp"));
        CHECK(runXenbuild(dir.path(), {"store", "verify", "--store", store}).status == 0);
    }
    REQUIRE(small.grow("64m"));
    for (const auto& command : commands) {
        const auto again = runXenbuild(dir.path(), command);
        INFO(again.err);
        CHECK(again.status == 0);
    }
    CHECK(runXenbuild(dir.path(), {"store", "verify", "--store", store}).status == 0);
}
