// End-to-end tests of the binary cache (docs/cache.md) with a real nginx: push, substitute into
// an empty store, and every way a cache can fail falling back to building.

#include "e2e/build_fixture.hpp"
#include "support/files.hpp"
#include "support/nginx.hpp"
#include "support/tree_listing.hpp"
#include "xenbuild/util/hash.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <set>

using namespace xenbuild::testing;

namespace {

constexpr const char* kPackage = "xen_4_19-slim";

// A store with the fake package built, a signing key pair, and a store path to substitute into
// that is the built store's (until build keys no longer depend on the store directory, a
// substitution needs the same directory: the built store is moved aside first).
struct CacheFixture {
    FakeUpstream upstream;
    fs::path keys = upstream.root / "keys";
    fs::path secretKey = keys / "test-cache-1.sec";
    std::string publicKey;
    fs::path built = upstream.root / "built"; // the built outputs, kept for comparison

    CacheFixture() {
        fs::create_directories(keys);
        const auto keygen =
            upstream.xenbuild("cache keygen test-cache-1 --dir " + shellQuote(keys.string()));
        REQUIRE(keygen.status == 0);
        publicKey = trim(readFile(keys / "test-cache-1.pub"));
        const auto build =
            upstream.xenbuild("build " + std::string(kPackage) + " " + upstream.hostProfileArg());
        REQUIRE(build.status == 0);
    }

    CommandResult push(const std::string& url) const {
        return upstream.xenbuildStdout("cache push " + shellQuote(url) + " " + kPackage +
                                       " --json --sign-key " + shellQuote(secretKey.string()) +
                                       " " + upstream.hostProfileArg());
    }

    // Keeps a copy of the built outputs, then empties the store.
    void emptyStore() const {
        fs::create_directories(built);
        for (const auto& item : fs::directory_iterator(upstream.store)) {
            const auto name = item.path().filename().string();
            if (name.find("xen-4.19.0") != std::string::npos)
                runOk("cp -a " + shellQuote(item.path().string()) + " " +
                      shellQuote(built.string()));
        }
        runOk("chmod -R u+w " + shellQuote(upstream.store.string()) + " && rm -rf " +
              shellQuote(upstream.store.string()));
    }

    // `build --report` with the substituter options; returns the report's package entry.
    nlohmann::json buildWith(const std::string& substituterArgs, CommandResult* result = nullptr,
                             const std::string& report = "report.json") const {
        const fs::path reportFile = upstream.root / report;
        const auto run = upstream.xenbuild("build " + std::string(kPackage) + " " +
                                           upstream.hostProfileArg() + " --report " +
                                           shellQuote(reportFile.string()) + " " + substituterArgs);
        if (result != nullptr) *result = run;
        INFO(run.output);
        REQUIRE(run.status == 0);
        return nlohmann::json::parse(readFile(reportFile))["packages"][0];
    }

    std::string trusting(const std::string& url) const {
        return "--substituter " + shellQuote(url) + " --trusted-key " + shellQuote(publicKey);
    }
};

std::vector<std::string> narFiles(const fs::path& cache) {
    std::vector<std::string> names;
    for (const auto& item : fs::directory_iterator(cache / "nar"))
        names.push_back(item.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string field(const std::string& narinfo, const std::string& key) {
    const auto start = narinfo.find(key + ": ");
    return narinfo.substr(start + key.size() + 2,
                          narinfo.find('\n', start) - start - key.size() - 2);
}

} // namespace

TEST_CASE("cache: push to nginx, substitute into an empty store, push again uploads nothing",
          "[cache][e2e]") {
    CacheFixture fixture;
    const fs::path served = fixture.upstream.root / "served";
    Nginx nginx(served);

    const auto pushed = fixture.push(nginx.url("/cache"));
    INFO(pushed.output);
    REQUIRE(pushed.status == 0);
    const auto first = nlohmann::json::parse(pushed.output);
    REQUIRE(first[0]["entries"].size() == 6); // five outputs, then the record
    CHECK(first[0]["entries"][5]["what"] == "record");
    for (const auto& entry : first[0]["entries"])
        CHECK(entry["uploaded"] == true);
    CHECK(fs::exists(served / "cache" / "nix-cache-info"));
    CHECK(narFiles(served / "cache").size() == 6);
    const auto puts = nginx.requests("\"PUT ");

    // Again: everything is skipped, nothing is uploaded.
    const auto again = fixture.push(nginx.url("/cache"));
    REQUIRE(again.status == 0);
    const auto againJson = nlohmann::json::parse(again.output);
    REQUIRE(againJson[0]["entries"].size() == 6);
    for (const auto& entry : againJson[0]["entries"])
        CHECK(entry["uploaded"] == false);
    CHECK(nginx.requests("\"PUT ") == puts);

    fixture.emptyStore();
    const auto package = fixture.buildWith(fixture.trusting(nginx.url("/cache")) + " -o " +
                                           shellQuote((fixture.upstream.root / "result").string()));
    CHECK(package["status"] == "substituted");
    CHECK(package["substitutedFrom"] == nginx.url("/cache"));
    CHECK(package["outputStatus"].size() == 5);
    for (const auto& [name, status] : package["outputStatus"].items())
        CHECK(status == "substituted");
    CHECK(package["checks"].size() == 5); // the record of the build that made them

    // Byte-identical to the built outputs, and the store verifies.
    for (const auto& [name, path] : package["outputs"].items()) {
        const fs::path output(path.get<std::string>());
        INFO(name);
        CHECK(listTree(output) == listTree(fixture.built / output.filename()));
        CHECK(nixHash(output) == nixHash(fixture.built / output.filename()));
    }
    CHECK(fixture.upstream.xenbuild("store verify").status == 0);
    CHECK(
        readFile(fixture.upstream.root / "result" / "usr" / "sbin" / "xl").find("twice patched") !=
        std::string::npos);
    // The log says where the outputs came from; the next build finds them present.
    CHECK(fixture.upstream.xenbuild("log " + std::string(kPackage))
              .output.find("substituted from " + nginx.url("/cache")) != std::string::npos);
    const auto present = fixture.buildWith("", nullptr, "report2.json");
    CHECK(present["status"] == "cached");
    CHECK(present["outputStatus"]["out"] == "present");
    // `bundle` works on substituted outputs (it reads the record).
    const auto bundle = fixture.upstream.xenbuild(
        "bundle " + std::string(kPackage) + " " + fixture.upstream.hostProfileArg() + " -o " +
        shellQuote((fixture.upstream.root / "bundle").string()));
    INFO(bundle.output);
    CHECK(bundle.status == 0);
}

TEST_CASE("cache: a file:// cache substitutes too, and keygen writes a private secret key",
          "[cache][e2e]") {
    CacheFixture fixture;
    struct stat st {};
    REQUIRE(::stat(fixture.secretKey.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(fixture.publicKey.rfind("test-cache-1:", 0) == 0);
    // keygen refuses to overwrite a key.
    const auto again = fixture.upstream.xenbuild("cache keygen test-cache-1 --dir " +
                                                 shellQuote(fixture.keys.string()));
    CHECK(again.status == 2);
    CHECK(again.output.find("already exists") != std::string::npos);

    const fs::path cache = fixture.upstream.root / "file-cache";
    const std::string url = "file://" + cache.string();
    REQUIRE(fixture.push(url).status == 0);
    fixture.emptyStore();
    // `test` substitutes a build it does not find (the boot itself then fails here: no kernel).
    const auto test = fixture.upstream.xenbuild(
        "test " + std::string(kPackage) + " " + fixture.upstream.hostProfileArg() + " " +
        fixture.trusting(url) + " --dom0-kernel /nonexistent/vmlinuz");
    INFO(test.output);
    CHECK(test.output.find("substituted from " + url) != std::string::npos);
    CHECK(test.output.find("has not been built") == std::string::npos);
    CHECK(fixture.upstream.xenbuild("store verify").status == 0);
    const auto package = fixture.buildWith("");
    CHECK(package["status"] == "cached");
}

TEST_CASE("cache: a tampered NAR, an untrusted key, a truncated download, a 500 and a hanging "
          "server all fall back to building",
          "[cache][e2e]") {
    CacheFixture fixture;
    const fs::path served = fixture.upstream.root / "served";
    Nginx nginx(served);
    const auto pushed = fixture.push(nginx.url("/cache"));
    REQUIRE(pushed.status == 0);
    std::string outId;
    const auto pushedJson = nlohmann::json::parse(pushed.output);
    for (const auto& entry : pushedJson[0]["entries"]) {
        if (entry["what"] == "out") outId = entry["name"].get<std::string>();
    }
    REQUIRE(!outId.empty());
    const fs::path cache = served / "cache";
    const fs::path narinfo = cache / (outId.substr(0, 32) + ".narinfo");
    const std::string narinfoText = readFile(narinfo);
    const fs::path nar = cache / field(narinfoText, "URL");
    fixture.emptyStore();

    auto expectBuilt = [&](const std::string& args, const std::string& why) {
        CommandResult run;
        const auto started = std::chrono::steady_clock::now();
        const auto package = fixture.buildWith(args, &run);
        const auto seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        INFO(run.output);
        CHECK(package["status"] == "built");
        CHECK(package["outputStatus"]["out"] == "built");
        CHECK(run.output.find(why) != std::string::npos);
        CHECK(run.output.find("falling back to building") != std::string::npos);
        CHECK(seconds < 60);
        CHECK(fixture.upstream.xenbuild("store verify").status == 0);
    };

    SECTION("a NAR replaced along with its (unsigned) FileHash fails the signed NarHash") {
        const fs::path plain = fixture.upstream.root / "out.nar";
        runOk("zstd -d -q -c " + shellQuote(nar.string()) + " > " + shellQuote(plain.string()));
        editFile(plain, "twice patched", "twice pAtched");
        const fs::path packed = fixture.upstream.root / "out.nar.zst";
        runOk("zstd -q -c " + shellQuote(plain.string()) + " > " + shellQuote(packed.string()));
        const auto fileHash = xenbuild::util::sha256File(packed).nix32();
        const std::string url = "nar/" + fileHash + ".nar.zst";
        fs::copy_file(packed, cache / url);
        std::string text = narinfoText;
        editFile(narinfo, field(text, "URL"), url);
        editFile(narinfo, field(text, "FileHash"), "sha256:" + fileHash);
        editFile(narinfo, "FileSize: " + field(text, "FileSize"),
                 "FileSize: " + std::to_string(fs::file_size(packed)));
        expectBuilt(fixture.trusting(nginx.url("/cache")), "does not match its narinfo's NarHash");
    }
    SECTION("a NAR changed in place fails its FileHash") {
        std::string bytes = readFile(nar);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
        writeFile(nar, bytes);
        expectBuilt(fixture.trusting(nginx.url("/cache")), "does not match its narinfo's FileHash");
    }
    SECTION("a narinfo signed by a key that is not trusted") {
        REQUIRE(fixture.upstream
                    .xenbuild("cache keygen other-1 --dir " + shellQuote(fixture.keys.string()))
                    .status == 0);
        const std::string other = trim(readFile(fixture.keys / "other-1.pub"));
        expectBuilt("--substituter " + shellQuote(nginx.url("/cache")) + " --trusted-key " +
                        shellQuote(other),
                    "is not signed by a trusted key (signed by 'test-cache-1'; trusted: "
                    "'other-1')");
    }
    SECTION("a narinfo of another output under this output's name (a replay)") {
        std::string bootId;
        for (const auto& entry : pushedJson[0]["entries"]) {
            if (entry["what"] == "boot") bootId = entry["name"].get<std::string>();
        }
        fs::copy_file(cache / (bootId.substr(0, 32) + ".narinfo"), narinfo,
                      fs::copy_options::overwrite_existing);
        expectBuilt(fixture.trusting(nginx.url("/cache")),
                    "describes '" + bootId + "', not '" + outId + "'");
    }
    SECTION("a narinfo with a path escaping the cache") {
        editFile(narinfo, "URL: nar/", "URL: nar/../../");
        expectBuilt(fixture.trusting(nginx.url("/cache")),
                    "URL must be 'nar/NAME' inside the cache");
    }
    SECTION("a truncated NAR") {
        const std::string bytes = readFile(nar);
        writeFile(nar, bytes.substr(0, bytes.size() / 2));
        expectBuilt(fixture.trusting(nginx.url("/cache")), "(truncated?)");
    }
    SECTION("a server error") {
        expectBuilt(fixture.trusting(nginx.url("/broken")), "returned error: 500");
    }
    SECTION("a server that never answers, bounded by --substituter-timeout") {
        // Listening but never accepting: the kernel completes the connection, nothing answers.
        const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener, 8) == 0);
        socklen_t length = sizeof address;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
        const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
        expectBuilt(fixture.trusting(url) + " --substituter-timeout 1",
                    "cannot substitute from " + url);
        ::close(listener);
    }
    SECTION("offline: an http cache is not asked") {
        const auto before = nginx.requests(".narinfo");
        const auto package =
            fixture.buildWith("--offline " + fixture.trusting(nginx.url("/cache")));
        CHECK(package["status"] == "built");
        CHECK(nginx.requests(".narinfo") == before);
    }
    SECTION("a cache without the build, then a good one: the second is used") {
        const auto package = fixture.buildWith(fixture.trusting(nginx.url("/empty")) + " " +
                                               fixture.trusting(nginx.url("/cache")));
        CHECK(package["status"] == "substituted");
        CHECK(package["substitutedFrom"] == nginx.url("/cache"));
    }
}

TEST_CASE("cache: two processes substituting the same package at once download it once",
          "[cache][e2e]") {
    CacheFixture fixture;
    const fs::path served = fixture.upstream.root / "served";
    Nginx nginx(served);
    REQUIRE(fixture.push(nginx.url("/cache")).status == 0);
    fixture.emptyStore();
    const std::string args = "build " + std::string(kPackage) + " " +
                             fixture.upstream.hostProfileArg() + " --json " +
                             fixture.trusting(nginx.url("/cache"));
    const std::string command = "XENBUILD_TODAY=2026-11-21 " +
                                shellQuote(xenbuild::testing::xenbuildBinary()) + " --recipes " +
                                shellQuote(fixture.upstream.recipes.string()) + " --store " +
                                shellQuote(fixture.upstream.store.string()) + " " + args;
    const fs::path first = fixture.upstream.root / "first.json";
    const fs::path second = fixture.upstream.root / "second.json";
    runOk(command + " > " + shellQuote(first.string()) + " 2>/dev/null & " + command + " > " +
          shellQuote(second.string()) + " 2>/dev/null; status=$?; wait $! && exit $status");
    std::multiset<std::string> statuses;
    for (const auto& file : {first, second}) {
        const auto results = nlohmann::json::parse(readFile(file));
        statuses.insert(results[0]["outputStatus"]["out"].get<std::string>());
    }
    // One substituted, the other waited for its lock and found the outputs present.
    CHECK(statuses == std::multiset<std::string>{"present", "substituted"});
    CHECK(nginx.requests("\"GET /cache/nar/") == 6);
    CHECK(fixture.upstream.xenbuild("store verify").status == 0);
}
