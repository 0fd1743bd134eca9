// `xenbuild prefetch` against hostile upstreams: git trees with entries that are paths, over
// file:// and git:// (a loopback git daemon), and sources larger than the fetch limits.

#include "support/hostile_git.hpp"
#include "support/spawn.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

using xenbuild::testing::runXenbuild;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// `git daemon` exporting every repository under `base` on a free loopback port, stopped (by its
// pid) in the destructor.
class GitDaemon {
  public:
    explicit GitDaemon(const fs::path& base) {
        port_ = freePort();
        const std::string pidFile = (base / "daemon.pid").string();
        xenbuild::testing::runOk(
            "git daemon --detach --reuseaddr --listen=127.0.0.1 --port=" + std::to_string(port_) +
            " --export-all --base-path=" + xenbuild::testing::shellQuote(base.string()) +
            " --pid-file=" + xenbuild::testing::shellQuote(pidFile) + " " +
            xenbuild::testing::shellQuote(base.string()));
        // --detach returns before the daemon has written its pid file.
        const auto written = [&] {
            std::error_code error;
            const auto size = fs::file_size(pidFile, error);
            return !error && size > 0;
        };
        for (int i = 0; i < 100 && !written(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        pid_ = std::stoi(xenbuild::testing::runOk("cat " + xenbuild::testing::shellQuote(pidFile)));
        for (int i = 0; i < 100 && !accepting(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ~GitDaemon() {
        if (pid_ > 0) ::kill(pid_, SIGTERM);
    }
    GitDaemon(const GitDaemon&) = delete;
    GitDaemon& operator=(const GitDaemon&) = delete;

    std::string url(const std::string& repo) const {
        return "git://127.0.0.1:" + std::to_string(port_) + "/" + repo;
    }

  private:
    static sockaddr_in loopback(unsigned short port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        return address;
    }
    static unsigned short freePort() {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address = loopback(0);
        socklen_t length = sizeof address;
        ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        ::close(fd);
        return ntohs(address.sin_port);
    }
    bool accepting() const {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address = loopback(port_);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        return ok;
    }

    unsigned short port_ = 0;
    int pid_ = -1;
};

} // namespace

TEST_CASE("xenbuild prefetch --git refuses tree entries that leave the store", "[e2e][prefetch]") {
    TempDir dir;
    const fs::path repos = dir / "repos";
    fs::create_directories(repos);
    // ../../escaped from <store>/.tmp/<key>~new is <store>/escaped; the absolute name is
    // <dir>/abs-victim; ".GIT" would be a repository inside the tree.
    const std::string absolute = (dir / "abs-victim").string();
    const std::string commit = xenbuild::testing::makeHostileRepo(
        repos / "evil.git", "tree(F, ('100644', b'../../escaped', B), ('100644', b'" + absolute +
                                "', B), ('40000', b'.GIT', tree(('100644', b'config', B))))");
    const std::string store = (dir / "store").string();
    GitDaemon daemon(repos);
    for (const std::string& url :
         {"file://" + (repos / "evil.git").string(), daemon.url("evil.git")}) {
        DYNAMIC_SECTION(url.substr(0, 6)) {
            for (const bool pinned : {false, true}) {
                std::vector<std::string> args = {"prefetch", "--git", url,       "--rev",
                                                 "master",   "-q",    "--store", store};
                if (pinned) {
                    args.insert(args.end(), {"--hash", "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NM"
                                                       "pJWZG3hSuFU="});
                }
                const auto result = runXenbuild(dir.path(), args);
                INFO(result.err);
                CHECK(result.status == 1);
                // Entries come sorted by name: "../../escaped" is the first one refused.
                CHECK(result.err == "error: refusing to check out '" + url +
                                        "' at 'master' (commit " + commit +
                                        "): tree entry '../../escaped' contains '/'; the "
                                        "repository is malformed or hostile\n");
                CHECK_FALSE(fs::exists(dir / "store" / "escaped"));
                CHECK_FALSE(fs::exists(absolute));
                CHECK(fs::is_empty(dir / "store" / ".tmp"));
            }
            const auto listed = runXenbuild(dir.path(), {"store", "ls", "--store", store});
            CHECK(listed.out.empty());
        }
    }
}

TEST_CASE("xenbuild --fetch-limit sets the fetch limits", "[e2e][prefetch]") {
    TempDir dir;
    xenbuild::testing::writeFile(dir / "src" / "pkg-1.0" / "a", std::string(5000, 'a'));
    xenbuild::testing::writeFile(dir / "src" / "pkg-1.0" / "b", "b\n");
    xenbuild::testing::runOk("tar -C " + (dir / "src").string() + " -czf " +
                             (dir / "pkg.tar.gz").string() + " pkg-1.0");
    const std::string url = "file://" + (dir / "pkg.tar.gz").string();
    const std::string store = (dir / "store").string();
    SECTION("too small") {
        const auto download =
            runXenbuild(dir.path(), {"prefetch", "--url", url, "--unpack", "--fetch-limit",
                                     "download=100", "-q", "--store", store});
        CHECK(download.status == 1);
        CHECK(download.err ==
              "error: cannot download '" + url +
                  "': it is larger than the download limit of 100 bytes; if that is expected, "
                  "raise the limit with --fetch-limit download=SIZE\n");
        const auto unpacked =
            runXenbuild(dir.path(), {"--fetch-limit", "unpacked=4K", "prefetch", "--url", url,
                                     "--unpack", "-q", "--store", store});
        CHECK(unpacked.status == 1);
        CHECK(unpacked.err ==
              "error: refusing to unpack '" + url +
                  "': it unpacks to more than 4 KiB (the unpacked size limit); if that is "
                  "expected, raise the limit with --fetch-limit unpacked=SIZE\n");
        CHECK(fs::is_empty(dir / "store" / ".tmp"));
    }
    SECTION("raised, repeated") {
        const auto result = runXenbuild(
            dir.path(), {"prefetch", "--url", url, "--unpack", "--fetch-limit", "download=1M",
                         "--fetch-limit", "entries=none", "-q", "--store", store});
        INFO(result.err);
        CHECK(result.status == 0);
    }
    SECTION("malformed") {
        const auto result = runXenbuild(dir.path(), {"prefetch", "--url", url, "--fetch-limit",
                                                     "download=much", "--store", store});
        CHECK(result.status == 2);
        CHECK(result.err == "error: invalid fetch limit 'download=much': expected download=SIZE "
                            "(e.g. download=4G), or download=none for no limit\n");
    }
}
