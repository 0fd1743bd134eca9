#pragma once
// A build to bundle: the builder fixture's Xen-shaped plan (tests/unit/builder), with pinned
// sources, a local patch and an advisory's patch (XSA-999, two CVEs), built through the fakes
// into a temporary store. Its `out` output holds an executable, a file, a symbolic link and a
// nested directory under usr/; `boot` holds boot/xen.gz.

#include "unit/builder/builder_fixture.hpp"
#include "xenbuild/bundle/bundle.hpp"
#include "xenbuild/util/hash.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace xenbuild::testing {

inline std::string fakeRev(char digit) {
    return std::string(40, digit);
}

struct BundleFixture : BuilderFixture {
    std::map<std::string, bundle::Advisory> advisories{
        {"XSA-999", {"Made-up hypervisor bug", {"CVE-2099-1001", "CVE-2099-1002"}}}};

    BundleFixture() {
        char digit = '1';
        for (auto& pinned : plan.sources) {
            pinned.url = "https://example.org/git/" + pinned.name + ".git";
            pinned.rev = fakeRev(digit++);
            pinned.hash = util::sha256("tree of " + pinned.name);
        }
        plan.sources[0].tag = "RELEASE-9.9.0";
        const std::string xsa = replaceLine("xen/common/core.c", "int core;", "int core = 1;");
        fetcher.addPatch("XSA-999", xsa);
        recipe::PatchRef advisory = patch("XSA-999", false);
        advisory.url = "https://example.org/xsa/xsa999.patch";
        advisory.sha256 = util::sha256(xsa);
        advisory.xsa = 999;
        plan.patches.push_back(advisory);
        plan.meta.licenses = {"GPL-2.0-only"};
        plan.meta.homepage = "https://example.org/xen";
        plan.meta.description = "A hypervisor";
        plan = rehashed(plan);
        sandbox.on("make", [](FakeSandbox::Run& run) {
            const fs::path install = "dist/install";
            const fs::path out = install / fs::path(run.spec.env.at("OUT")).relative_path();
            run.write(out / "bin" / "xl", readFile(run.cwd / "tools" / "xl" / "xl.c"));
            fs::permissions(run.cwd / out / "bin" / "xl", fs::perms::owner_exec,
                            fs::perm_options::add);
            run.write(out / "lib" / "libxen.so.9.9", "library\n");
            fs::create_symlink("libxen.so.9.9", run.cwd / out / "lib" / "libxen.so");
            run.write(out / "share" / "doc" / "xen" / "README", "readme\n");
            run.write(install / fs::path(run.spec.env.at("BOOT")).relative_path() / "xen.gz",
                      "xen\n");
            return 0;
        });
    }

    // Builds the plan with `with` and finds the build as `xenbuild bundle` does.
    bundle::BuildInfo built(const builder::BuildOptions& with) {
        makeBuilder(with)->build(plan);
        auto found = bundle::findBuild(store, plan, with, advisories);
        REQUIRE(found);
        return std::move(*found);
    }
    bundle::BuildInfo built() { return built(options); }
};

} // namespace xenbuild::testing
