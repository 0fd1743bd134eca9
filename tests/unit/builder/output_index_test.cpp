// The output index: records, newest results and logs, found without a toolchain.

#include "support/temp_dir.hpp"
#include "unit/builder/builder_fixture.hpp"
#include "xenbuild/builder/output_index.hpp"
#include "xenbuild/store/outputs.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

builder::BuildResult resultOf(const std::string& plan, const std::string& key) {
    builder::BuildResult result;
    result.plan = plan;
    result.key = key;
    result.sandboxMode = "namespaces";
    result.outputs = {{"out", "/store/" + key + "-out"}};
    return result;
}

} // namespace

TEST_CASE("builder::OutputIndex finds the newest result of a plan and of a package",
          "[build][builder]") {
    testing::TempDir dir;
    const auto store = store::Store::open(dir / "store");
    const builder::OutputIndex index(store);
    const std::string keyA(52, 'a');
    const std::string keyB(52, 'b');
    CHECK_FALSE(index.newest("plan-1"));
    CHECK_FALSE(index.newestOfPackage("xen_4_19"));
    CHECK_FALSE(index.result(keyA));

    index.record(resultOf("xen_4_19", keyA), "plan-1");
    CHECK(index.result(keyA)->plan == "xen_4_19");
    CHECK(index.newest("plan-1")->key == keyA);
    CHECK(index.newestOfPackage("xen_4_19")->key == keyA);

    // Another plan of the same package (say, new patches): the package's newest moves, the
    // first plan's does not.
    index.record(resultOf("xen_4_19", keyB), "plan-2");
    CHECK(index.newest("plan-1")->key == keyA);
    CHECK(index.newest("plan-2")->key == keyB);
    CHECK(index.newestOfPackage("xen_4_19")->key == keyB);

    // A cache hit of the first is the newest again.
    index.markNewest(*index.result(keyA), "plan-1");
    CHECK(index.newestOfPackage("xen_4_19")->key == keyA);
    CHECK_FALSE(index.newestOfPackage("xen_4_18"));
    // Nothing is left in .tmp.
    CHECK(fs::is_empty(store.dir() / ".tmp"));
}

TEST_CASE("builder::OutputIndex names output paths and logs", "[build][builder]") {
    testing::TempDir dir;
    const auto store = store::Store::open(dir / "store");
    const builder::OutputIndex index(store);
    const auto plan = testing::fakePlan();
    const std::string key(52, 'k');
    const auto outputs = index.outputPaths(plan, key);
    REQUIRE(outputs.size() == 2);
    CHECK(outputs[0].name == "out");
    CHECK(outputs[0].path == store.pathOf(store::outputId(key, "xen-9.9.0")));
    CHECK(outputs[1].path == store.pathOf(store::outputId(key, "xen-9.9.0-boot")));

    const auto log = index.startLog(key, plan.name);
    CHECK(log == store.dir() / "logs" / (key + ".log"));
    CHECK(testing::readFile(index.latestLogPath(plan.name)) ==
          "xenbuild: building xen_9_9 (key " + key + ")\n");
}
