// readFile, readChunks, writeAll, writeFileAtomic, replaceWithSymlink, removeReadOnly and Fd: the
// one way files are read, written and removed.

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> names(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& item : fs::directory_iterator(dir))
        out.push_back(item.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::atomic<int> signalsSeen{0};
extern "C" void countSignal(int) {
    ++signalsSeen;
}

} // namespace

TEST_CASE("util::readFile reads a file whole, or says why not", "[util][io]") {
    testing::TempDir dir;
    const std::string content("binary\0data\n", 12);
    write(dir / "a", content);
    CHECK(util::readFile(dir / "a") == content);
    write(dir / "empty", "");
    CHECK(util::readFile(dir / "empty").empty());
    write(dir / "big", std::string(200000, 'x'));
    CHECK(util::readFile(dir / "big") == std::string(200000, 'x'));
    REQUIRE_THROWS_MATCHES(util::readFile(dir / "missing"), SystemError,
                           Catch::Message("cannot open '" + (dir / "missing").string() +
                                          "': No such file or directory"));
    fs::create_directory(dir / "d");
    REQUIRE_THROWS_MATCHES(
        util::readFile(dir / "d"), SystemError,
        Catch::Message("cannot read '" + (dir / "d").string() + "': Is a directory"));
}

TEST_CASE("util::writeAll writes everything through partial and interrupted writes", "[util][io]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    util::Fd readEnd(fds[0]);
    util::Fd writeEnd(fds[1]);
    ::fcntl(writeEnd.get(), F_SETPIPE_SZ, 4096); // a small pipe: the writer blocks often

    // No SA_RESTART: a signal makes a blocked write return early (short) or fail with EINTR.
    struct sigaction action {};
    struct sigaction previous {};
    action.sa_handler = countSignal;
    sigemptyset(&action.sa_mask);
    REQUIRE(::sigaction(SIGUSR1, &action, &previous) == 0);

    std::string data(1 << 20, '\0');
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 7 % 251);
    std::error_code result;
    std::atomic<bool> done{false};
    std::thread writer([&] {
        result = util::tryWriteAll(writeEnd.get(), data);
        writeEnd.reset();
        done = true;
    });
    std::string received;
    char buffer[1000];
    signalsSeen = 0;
    while (true) {
        if (!done) ::pthread_kill(writer.native_handle(), SIGUSR1);
        const ssize_t n = ::read(readEnd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        REQUIRE(n >= 0);
        if (n == 0) break;
        received.append(buffer, static_cast<std::size_t>(n));
    }
    writer.join();
    ::sigaction(SIGUSR1, &previous, nullptr);
    CHECK_FALSE(result);
    CHECK(signalsSeen > 0);
    CHECK(received.size() == data.size());
    CHECK(received == data);
}

TEST_CASE("util::writeAll names the file it could not write", "[util][io]") {
    testing::TempDir dir;
    write(dir / "ro", "");
    const util::Fd fd(::open((dir / "ro").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    CHECK(util::tryWriteAll(fd.get(), "x") == std::errc::bad_file_descriptor);
    CHECK_FALSE(util::tryWriteAll(fd.get(), ""));
    REQUIRE_THROWS_MATCHES(
        util::writeAll(fd.get(), "x", dir / "ro"), SystemError,
        Catch::Message("cannot write '" + (dir / "ro").string() + "': Bad file descriptor"));
}

TEST_CASE("util::writeFileAtomic replaces a file whole", "[util][io]") {
    testing::TempDir dir;
    const fs::path target = dir / "meta.json";
    util::writeFileAtomic(target, "first\n");
    CHECK(util::readFile(target) == "first\n");
    util::writeFileAtomic(target, "second\n", 0600);
    CHECK(util::readFile(target) == "second\n");
    CHECK((fs::status(target).permissions() & fs::perms::all) == fs::perms(0600));
    CHECK(names(dir.path()) == std::vector<std::string>{"meta.json"});
}

TEST_CASE("util::writeFileAtomic leaves no temporary behind when it fails", "[util][io]") {
    testing::TempDir dir;
    SECTION("the rename fails: a directory is in the way") {
        fs::create_directories(dir / "taken" / "child");
        REQUIRE_THROWS_AS(util::writeFileAtomic(dir / "taken", "x"), SystemError);
        REQUIRE_THROWS_WITH(
            util::writeFileAtomic(dir / "taken", "x"),
            Catch::StartsWith("cannot rename '" + (dir / "taken").string() + ".tmp~") &&
                Catch::EndsWith("': Is a directory"));
        CHECK(names(dir.path()) == std::vector<std::string>{"taken"});
    }
    SECTION("the temporary cannot be created") {
        REQUIRE_THROWS_AS(util::writeFileAtomic(dir / "missing" / "x", "x"), SystemError);
        REQUIRE_THROWS_WITH(
            util::writeFileAtomic(dir / "missing" / "x", "x"),
            Catch::StartsWith("cannot create '" + (dir / "missing").string() + "/x.tmp~") &&
                Catch::EndsWith("': No such file or directory"));
        CHECK(fs::is_empty(dir.path()));
    }
}

TEST_CASE("util::replaceWithSymlink replaces a link atomically, also when many race",
          "[util][io]") {
    testing::TempDir dir;
    const fs::path link = dir / "result";
    util::replaceWithSymlink(link, "/first");
    CHECK(fs::read_symlink(link) == "/first");
    util::replaceWithSymlink(link, "/second");
    CHECK(fs::read_symlink(link) == "/second");

    // Two builds of one package linking `-o result` at once (seen as "cannot rename: No such
    // file or directory" when both used one temporary name): every link must succeed.
    std::atomic<int> failures{0};
    std::vector<std::thread> linkers;
    for (int t = 0; t < 4; ++t) {
        linkers.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                try {
                    util::replaceWithSymlink(link, "/target-" + std::to_string(t));
                } catch (const SystemError&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& linker : linkers)
        linker.join();
    CHECK(failures == 0);
    CHECK(fs::read_symlink(link).string().starts_with("/target-"));
    CHECK(names(dir.path()) == std::vector<std::string>{"result"});

    fs::create_directories(dir / "taken" / "child");
    REQUIRE_THROWS_WITH(util::replaceWithSymlink(dir / "taken", "/x"),
                        "cannot link '" + (dir / "taken").string() + "': Is a directory");
    CHECK(names(dir.path()) == std::vector<std::string>{"result", "taken"});
}

TEST_CASE("util::removeReadOnly removes read-only trees and never follows links", "[util][io]") {
    testing::TempDir dir;
    write(dir / "outside", "keep");
    const fs::path tree = dir / "tree";
    fs::create_directories(tree / "sub");
    write(tree / "sub" / "file", "x");
    fs::create_symlink(dir / "outside", tree / "sub" / "link");
    fs::create_directory_symlink(dir.path(), tree / "up");
    fs::permissions(tree / "sub" / "file", fs::perms(0444));
    fs::permissions(tree / "sub", fs::perms(0555));
    fs::permissions(tree, fs::perms(0555));

    util::removeReadOnly(tree);
    CHECK_FALSE(fs::exists(fs::symlink_status(tree)));
    CHECK(util::readFile(dir / "outside") == "keep");
    CHECK_NOTHROW(util::removeReadOnly(tree)); // nothing there: no error
    util::removeReadOnly(dir / "outside");     // a plain file
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("util::Fd closes what it holds, once", "[util][io]") {
    testing::TempDir dir;
    write(dir / "f", "");
    int raw = ::open((dir / "f").c_str(), O_RDONLY | O_CLOEXEC);
    {
        util::Fd fd(raw);
        util::Fd moved(std::move(fd));
        CHECK_FALSE(fd.valid());
        CHECK(moved.get() == raw);
    }
    CHECK(::fcntl(raw, F_GETFD) == -1); // closed by the destructor of `moved`
    util::Fd fd(::open((dir / "f").c_str(), O_RDONLY | O_CLOEXEC));
    CHECK(fd.close() == 0);
    CHECK_FALSE(fd.valid());
    CHECK(fd.close() == 0); // nothing held: nothing to do
    CHECK_FALSE(util::Fd(-1).valid());
}

TEST_CASE("util::readChunks hands over everything up to the end, or says why not", "[util][io]") {
    testing::TempDir dir;
    std::string content(300000, '\0');
    for (std::size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>(i % 253);
    write(dir / "f", content);
    const util::Fd fd(::open((dir / "f").c_str(), O_RDONLY | O_CLOEXEC));
    std::string seen;
    int calls = 0;
    util::readChunks(fd.get(), dir / "f", [&](std::string_view chunk) {
        CHECK_FALSE(chunk.empty());
        seen.append(chunk);
        ++calls;
    });
    CHECK(seen == content);
    CHECK(calls > 1);
    const util::Fd directory(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE_THROWS_MATCHES(
        util::readChunks(directory.get(), dir.path(), [](std::string_view) {}), SystemError,
        Catch::Message("cannot read '" + dir.path().string() + "': Is a directory"));
}
