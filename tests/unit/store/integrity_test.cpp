// Store integrity (fingerprints, the check on use, --check, repair), store faults (stale and
// held locks, unreadable entries, dangling registrations) and the disk-full message.

#include "support/fixtures.hpp"
#include "support/log_capture.hpp"
#include "support/small_fs.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/log.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace xenbuild;
using Catch::Matchers::Contains;
using xenbuild::testing::LogCapture;
using xenbuild::testing::TempDir;
using xenbuild::testing::writeFile;
namespace fs = std::filesystem;

namespace {

store::AddRequest treeRequest(const std::string& name, std::optional<util::Hash> expected) {
    store::AddRequest request;
    request.kind = store::EntryKind::Tree;
    request.name = name;
    request.expected = expected;
    request.url = "file:///upstream/" + name;
    request.lockKey = "test-" + name;
    request.what = "source " + quote(name);
    return request;
}

// root, file.txt, bin, bin/tool: 4 nodes, content + 10 bytes.
store::Producer writeTree(const std::string& content) {
    return [content](const fs::path& dest, const fs::path&) {
        writeFile(dest / "file.txt", content);
        writeFile(dest / "bin" / "tool", "#!/bin/sh\n", true);
        return std::string();
    };
}

util::Hash hashOfTree(const TempDir& dir, const std::string& content) {
    const fs::path tree = dir / ("reference-" + content);
    if (!fs::exists(tree)) writeTree(content)(tree, {});
    return store::narHash(tree);
}

void makeWritable(const fs::path& path) {
    ::chmod(path.c_str(), 0755);
}

// Changes one byte in place, keeping the size and the modification time.
void flipByte(const fs::path& file) {
    struct stat before {};
    REQUIRE(::stat(file.c_str(), &before) == 0);
    makeWritable(file);
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

nlohmann::json readMeta(const fs::path& store, const std::string& id) {
    std::ifstream in(store / ".meta" / (id + ".json"));
    return nlohmann::json::parse(in);
}

// `flock FILE sleep 60` in the background: another process holding a lock.
pid_t holdLock(const fs::path& lockFile) {
    fs::create_directories(lockFile.parent_path());
    std::vector<std::string> args = {"/usr/bin/flock", lockFile.string(), "/bin/sleep", "60"};
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    // In a process group of its own: flock runs sleep as a child, which inherits the lock.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    REQUIRE(rc == 0);
    // Wait until it holds the lock.
    for (int i = 0; i < 200; ++i) {
        if (!store::FileLock::tryAcquire(lockFile)) return pid;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("flock did not take the lock");
    return pid;
}

// Kills the holder's process group; true once the kernel has released the lock.
bool killAndReap(pid_t pid, const fs::path& lockFile) {
    ::killpg(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    for (int i = 0; i < 500; ++i) {
        if (store::FileLock::tryAcquire(lockFile)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

} // namespace

TEST_CASE("store entries record a fingerprint when committed", "[store][integrity]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto entry =
        store.add(treeRequest("xen", hashOfTree(dir, "one")), writeTree("one")); // 3+10 bytes
    REQUIRE(entry.info.fingerprint);
    CHECK(entry.info.fingerprint->files == 4);
    CHECK(entry.info.fingerprint->bytes == 13);
    CHECK(entry.info.fingerprint->digest.size() == 64);
    CHECK(*entry.info.fingerprint == store::fingerprintOf(entry.path));
    const auto meta = readMeta(dir / "store", entry.id);
    CHECK(meta["fingerprint"]["files"] == 4);
    CHECK(meta["fingerprint"]["bytes"] == 13);
    CHECK(meta["fingerprint"]["digest"] == entry.info.fingerprint->digest);
    // Reading an entry (hashing it, copying it out) changes nothing.
    CHECK(store::narHash(entry.path) == entry.info.hash);
    fs::copy(entry.path, dir / "copy", fs::copy_options::recursive);
    CHECK(store::fingerprintOf(entry.path) == *entry.info.fingerprint);
    CHECK(store.lookup(store::EntryKind::Tree, entry.info.hash, "xen"));
}

TEST_CASE("a changed store entry is refused, not used", "[store][integrity]") {
    TempDir dir;
    const auto hash = hashOfTree(dir, "one");
    const store::Entry entry = [&] {
        auto store = store::Store::open(dir / "store");
        store.add(treeRequest("other", hashOfTree(dir, "other")), writeTree("other"));
        return store.add(treeRequest("xen", hash), writeTree("one"));
    }();
    std::string detail;
    SECTION("one byte flipped, size and modification time kept") {
        flipByte(entry.path / "file.txt");
        detail = "file names, modes, inode numbers or change times differ from when it was added";
    }
    SECTION("a file truncated") {
        makeWritable(entry.path / "file.txt");
        fs::resize_file(entry.path / "file.txt", 1);
        detail = "4 files and 11 bytes now, 4 files and 13 bytes when it was added";
    }
    SECTION("a file added") {
        makeWritable(entry.path / "bin");
        writeFile(entry.path / "bin" / "extra", "x");
        detail = "5 files and 14 bytes now, 4 files and 13 bytes when it was added";
    }
    SECTION("a file removed") {
        makeWritable(entry.path / "bin");
        fs::remove(entry.path / "bin" / "tool");
        detail = "3 files and 3 bytes now, 4 files and 13 bytes when it was added";
    }
    SECTION("a file replaced by a directory") {
        makeWritable(entry.path);
        fs::remove(entry.path / "file.txt");
        fs::create_directory(entry.path / "file.txt");
        detail = "4 files and 10 bytes now, 4 files and 13 bytes when it was added";
    }
    SECTION("a file rewritten with the same size") {
        makeWritable(entry.path / "file.txt");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        writeFile(entry.path / "file.txt", "two");
        detail = "a file was modified at ";
    }
    auto store = store::Store::open(dir / "store");
    const std::string expected = "store entry '" + entry.path.string() + "' is corrupt: ";
    const std::string repair = "; it was not used. Run `xenbuild store repair " +
                               entry.path.string() +
                               "` to remove it, and the next prefetch or build makes it again";
    // A fetch asking for the entry by hash (prefetch --hash, a build's pinned sources) ...
    REQUIRE_THROWS_AS(store.lookup(store::EntryKind::Tree, hash, "xen"), StoreError);
    CHECK_THROWS_WITH(store.lookup(store::EntryKind::Tree, hash, "xen"),
                      Contains(expected + detail) && Contains("expected " + hash.sri()) &&
                          Contains(repair));
    // ... or through add() with the hash (the entry lock taken) ...
    int produced = 0;
    auto counting = [&](const fs::path& dest, const fs::path& scratch) {
        ++produced;
        return writeTree("one")(dest, scratch);
    };
    CHECK_THROWS_WITH(store.add(treeRequest("xen", hash), counting), Contains(expected + detail));
    CHECK(produced == 0);
    // ... or without a hash (prefetch --url): the fresh content has the same id.
    CHECK_THROWS_WITH(store.add(treeRequest("xen", std::nullopt), counting),
                      Contains(expected + detail));
    CHECK(produced == 1);
    // `store verify` reports it too; the other entry is fine.
    util::NullProgress quiet;
    const auto issues = store.verify(quiet);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].entry.id == entry.id);
    CHECK(store.list().size() == 2);
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
}

TEST_CASE("an intact entry with new times is used and its fingerprint recorded again",
          "[store][integrity]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto hash = hashOfTree(dir, "one");
    const auto entry = store.add(treeRequest("xen", hash), writeTree("one"));
    const auto before = readMeta(dir / "store", entry.id)["fingerprint"];
    // touch: new times, same content (what a copy of the store without -a does).
    const struct timespec times[2] = {{1000, 0}, {1000, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (entry.path / "file.txt").c_str(), times, 0) == 0);
    LogCapture log;
    auto reopened = store::Store::open(dir / "store");
    const auto found = reopened.lookup(store::EntryKind::Tree, hash, "xen");
    REQUIRE(found);
    CHECK(found->path == entry.path);
    CHECK_THAT(log.text(), Contains("store entry " + entry.path.string() +
                                    " is intact; recording its fingerprint again"));
    const auto after = readMeta(dir / "store", entry.id)["fingerprint"];
    CHECK(after != before);
    CHECK(after["digest"] == store::fingerprintOf(entry.path).digest);
    // The metadata keeps everything else.
    CHECK(readMeta(dir / "store", entry.id)["url"] == "file:///upstream/xen");
}

TEST_CASE("checkContent re-hashes entries whose fingerprint still matches", "[store][integrity]") {
    TempDir dir;
    const auto hash = hashOfTree(dir, "one");
    const auto entry =
        store::Store::open(dir / "store").add(treeRequest("xen", hash), writeTree("one"));
    // Data that changed under an unchanged fingerprint (what bit rot does): simulated by
    // recording the fingerprint of the changed tree.
    flipByte(entry.path / "file.txt");
    auto meta = readMeta(dir / "store", entry.id);
    const auto now = store::fingerprintOf(entry.path);
    meta["fingerprint"] = {
        {"files", now.files}, {"bytes", now.bytes}, {"newest", now.newest}, {"digest", now.digest}};
    std::ofstream(dir / "store" / ".meta" / (entry.id + ".json")) << meta.dump();

    CHECK(store::Store::open(dir / "store").lookup(store::EntryKind::Tree, hash, "xen"));
    auto checking = store::Store::open(dir / "store", {true, true});
    CHECK_THROWS_WITH(checking.lookup(store::EntryKind::Tree, hash, "xen"),
                      Contains("is corrupt: sizes and times are unchanged, but the data on disk "
                               "changed; content hash ") &&
                          Contains("expected " + hash.sri()));
    // An intact entry passes the full check.
    const auto good = checking.add(treeRequest("good", hashOfTree(dir, "good")), writeTree("good"));
    CHECK(store::Store::open(dir / "store", {true, true})
              .lookup(store::EntryKind::Tree, good.info.hash, "good"));
}

TEST_CASE("an entry without metadata is re-hashed against the requested hash",
          "[store][integrity]") {
    TempDir dir;
    const auto hash = hashOfTree(dir, "one");
    const auto entry =
        store::Store::open(dir / "store").add(treeRequest("xen", hash), writeTree("one"));
    fs::remove(dir / "store" / ".meta" / (entry.id + ".json"));
    auto store = store::Store::open(dir / "store");
    SECTION("intact: used, metadata written again") {
        const auto found = store.lookup(store::EntryKind::Tree, hash, "xen");
        REQUIRE(found);
        const auto meta = readMeta(dir / "store", entry.id);
        CHECK(meta["hash"] == hash.sri());
        CHECK(meta["fingerprint"]["files"] == 4);
        util::NullProgress quiet;
        CHECK(store.verify(quiet).empty());
    }
    SECTION("changed: refused") {
        makeWritable(entry.path / "file.txt");
        writeFile(entry.path / "file.txt", "changed");
        CHECK_THROWS_WITH(store.lookup(store::EntryKind::Tree, hash, "xen"),
                          Contains("is corrupt: no fingerprint was recorded; content hash"));
        CHECK_FALSE(fs::exists(dir / "store" / ".meta" / (entry.id + ".json")));
    }
    SECTION("known by id only: refused") {
        CHECK_THROWS_WITH(store.lookupChecked(entry.id),
                          Contains("is corrupt: its metadata (" +
                                   (dir / "store" / ".meta").string() + ") is missing"));
    }
}

TEST_CASE("build outputs are checked like fetched entries", "[store][integrity]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const std::string id = store::outputId("key", "xen-boot");
    writeFile(dir / "store" / ".tmp" / "out" / "xen.gz", "kernel");
    const auto entries =
        store::commitOutputs(store, {{id, dir / "store" / ".tmp" / "out", "xen-boot"}}, "key");
    REQUIRE(entries.at(0).info.fingerprint);
    CHECK(store.lookupChecked(id));
    makeWritable(entries[0].path / "xen.gz");
    writeFile(entries[0].path / "xen.gz", "trojan");
    CHECK_THROWS_WITH(store::Store::open(dir / "store").lookupChecked(id),
                      Contains("store entry '" + entries[0].path.string() + "' is corrupt"));
    CHECK_FALSE(store::Store::open(dir / "store").lookupChecked("missing"));
}

TEST_CASE("store::Store::repair removes corrupt entries and keeps the others",
          "[store][integrity]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto good = store.add(treeRequest("good", hashOfTree(dir, "good")), writeTree("good"));
    const auto touched = store.add(treeRequest("touched", hashOfTree(dir, "t")), writeTree("t"));
    const auto bad = store.add(treeRequest("bad", hashOfTree(dir, "bad")), writeTree("bad"));
    flipByte(bad.path / "file.txt");
    const struct timespec times[2] = {{1000, 0}, {1000, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (touched.path / "file.txt").c_str(), times, 0) == 0);
    util::NullProgress quiet;

    SECTION("named entries") {
        const auto outcomes = store.repair({good.id, bad.id}, quiet);
        REQUIRE(outcomes.size() == 2);
        CHECK(outcomes[0].problem.empty());
        CHECK_FALSE(outcomes[0].removed);
        CHECK_FALSE(outcomes[0].refreshed);
        CHECK_THAT(outcomes[1].problem, Contains("content changed"));
        CHECK(outcomes[1].removed);
        CHECK_THROWS_WITH(store.repair({"nonsense"}, quiet),
                          "no entry 'nonsense' in the store '" + (dir / "store").string() + "'");
    }
    SECTION("every entry") {
        const auto outcomes = store.repair({}, quiet);
        REQUIRE(outcomes.size() == 3);
        CHECK(outcomes[2].entry.id == touched.id);
        CHECK(outcomes[2].refreshed);
        CHECK(store.lookup(store::EntryKind::Tree, touched.info.hash, "touched"));
    }
    CHECK_FALSE(fs::exists(bad.path));
    CHECK_FALSE(fs::exists(dir / "store" / ".meta" / (bad.id + ".json")));
    CHECK(fs::exists(good.path));
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
    CHECK(store.verify(quiet).empty());
    // The next fetch makes it again.
    const auto again = store.add(treeRequest("bad", hashOfTree(dir, "bad")), writeTree("bad"));
    CHECK(again.path == bad.path);
    CHECK(store.verify(quiet).empty());
}

TEST_CASE("broken registrations do not disturb the other entries", "[store][integrity]") {
    TempDir dir;
    util::NullProgress quiet;
    const auto hash = hashOfTree(dir, "gone");
    store::Entry kept;
    store::Entry gone;
    {
        auto store = store::Store::open(dir / "store");
        kept = store.add(treeRequest("kept", hashOfTree(dir, "kept")), writeTree("kept"));
        gone = store.add(treeRequest("gone", hash), writeTree("gone"));
        store.addRoot("kept", kept.path);
        store.addRoot("gone", gone.path);
        store.addPlanRoot("plan", "xen_4_19", {kept.id, gone.id, "0000-never-existed"});
    }
    // The entry directory disappears; its metadata, gc root and plan root stay behind.
    util::removeReadOnly(gone.path);
    auto store = store::Store::open(dir / "store");
    CHECK_FALSE(fs::exists(dir / "store" / ".meta" / (gone.id + ".json"))); // swept
    CHECK_FALSE(store.lookup(store::EntryKind::Tree, hash, "gone"));
    CHECK(store.list().size() == 1);
    CHECK(store.verify(quiet).empty());
    const auto collected = store.gc({false, std::chrono::hours(1)});
    CHECK(collected.removed.empty());
    CHECK(fs::exists(kept.path));
    // Fetching it again works and the dangling root points at it again.
    const auto again = store.add(treeRequest("gone", hash), writeTree("gone"));
    CHECK(again.path == gone.path);
    CHECK(store.verify(quiet).empty());
    CHECK(store.list().size() == 2);
}

TEST_CASE("a file entry replaced by a directory is refused", "[store][integrity]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    store::AddRequest request;
    request.kind = store::EntryKind::File;
    request.name = "xsa1.patch";
    request.expected = util::sha256("patch\n");
    request.url = "file:///xsa1.patch";
    request.what = "patch 'XSA-1'";
    const auto entry = store.add(request, [](const fs::path& dest, const fs::path&) {
        writeFile(dest, "patch\n");
        return std::string();
    });
    fs::remove(entry.path);
    fs::create_directory(entry.path);
    writeFile(entry.path / "patch", "patch\n");
    CHECK_THROWS_WITH(store::Store::open(dir / "store")
                          .lookup(store::EntryKind::File, *request.expected, "xsa1.patch"),
                      Contains("' is corrupt: it is a directory, expected a regular file; it "
                               "was not used"));
    util::NullProgress quiet;
    const auto issues = store.verify(quiet);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].problem == "it is a directory, expected a regular file");
}

TEST_CASE("store::FileLock: leftover lock files do not block, held locks are waited for",
          "[store][lock]") {
    TempDir dir;
    const fs::path lockFile = dir / "store" / ".locks" / "x.lock";
    SECTION("a lock file left by a dead process is free") {
        writeFile(lockFile, "12345 garbage left behind\n");
        CHECK(store::FileLock::tryAcquire(lockFile));
        const auto started = std::chrono::steady_clock::now();
        { auto lock = store::FileLock::acquire(lockFile); }
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
        // The same after its holder was killed.
        const pid_t holder = holdLock(lockFile);
        CHECK_FALSE(store::FileLock::tryAcquire(lockFile));
        CHECK(killAndReap(holder, lockFile));
    }
    SECTION("a held lock: the second process waits and says so") {
        const pid_t holder = holdLock(lockFile);
        CHECK_THAT(store::FileLock::describeHolders(lockFile),
                   Contains("process " + std::to_string(holder) + " (/usr/bin/flock " +
                            lockFile.string() + " /bin/sleep 60)"));
        LogCapture log;
        std::atomic<bool> acquired{false};
        std::thread waiter([&] {
            auto lock = store::FileLock::acquire(lockFile, store::FileLock::Mode::Exclusive,
                                                 "source 'xen'");
            acquired = true;
        });
        for (int i = 0; i < 200 && log.text().find("waiting") == std::string::npos; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK_FALSE(acquired);
        ::killpg(holder, SIGKILL);
        waiter.join();
        int status = 0;
        ::waitpid(holder, &status, 0);
        CHECK(acquired);
        CHECK_THAT(log.text(), Contains("warning: waiting for process " + std::to_string(holder) +
                                        " (/usr/bin/flock " + lockFile.string() +
                                        " /bin/sleep 60) to release the lock " + lockFile.string() +
                                        " (source 'xen')") &&
                                   Contains("info: got the lock " + lockFile.string()));
    }
    SECTION("a lock path that is not a file") {
        fs::create_directories(lockFile);
        CHECK_THROWS_WITH(store::FileLock::acquire(lockFile),
                          "cannot open lock file '" + lockFile.string() +
                              "': it is not a regular file; remove it (lock files are created "
                              "again when needed and hold no data)");
    }
}

TEST_CASE("a full store file system gives a clear error and leaves nothing behind",
          "[store][diskfull]") {
    TempDir dir;
    const xenbuild::testing::SmallFileSystem tmpfs(dir / "small", "2m");
    if (!tmpfs.skipReason().empty()) {
        WARN("skipped: " << tmpfs.skipReason());
        return;
    }
    const fs::path& mountPoint = tmpfs.path();
    const std::string big(3 * 1024 * 1024, 'x');
    auto store = store::Store::open(mountPoint / "store");
    const auto small =
        store.add(treeRequest("small", hashOfTree(dir, "small")), writeTree("small"));
    auto request = treeRequest("big", std::nullopt);
    auto producer = [&](const fs::path& dest, const fs::path&) {
        fs::create_directories(dest);
        std::ofstream out(dest / "big.bin", std::ios::binary);
        out << big;
        out.flush();
        if (!out) throwSystemError("cannot write", (dest / "big.bin").string());
        return std::string();
    };
    CHECK_THROWS_WITH(
        store.add(request, producer),
        Contains("no space left on device for the store '" + (mountPoint / "store").string() +
                 "' while fetching source 'big' from 'file:///upstream/big'") &&
            Contains("Free space (e.g. `xenbuild store gc`) or use a store on a "
                     "larger file system (the store directory setting DIR), then run the command "
                     "again"));
    CHECK(fs::is_empty(mountPoint / "store" / ".tmp"));
    util::NullProgress quiet;
    CHECK(store.verify(quiet).empty());
    CHECK(store.list().size() == 1);
    CHECK(fs::exists(small.path));
    REQUIRE(tmpfs.grow("8m"));
    const auto added = store.add(request, producer);
    CHECK(fs::file_size(added.path / "big.bin") == big.size());
    CHECK(store.verify(quiet).empty());
}
