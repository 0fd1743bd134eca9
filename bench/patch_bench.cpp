// Driver for bench/patch_bench.sh: applies a series of patches to one tree through the library,
// as `xenbuild build` does when it patches staged sources.
//   xenbuild_patch_bench [--dry-run] ROOT PATCH...
// Prints a status count on stderr; exits 1 if a patch fails.

#include "xenbuild/patch/apply.hpp"

#include <cstring>
#include <iostream>
#include <map>

int main(int argc, char** argv) {
    using namespace xenbuild::patch;
    int arg = 1;
    SeriesOptions options;
    if (arg < argc && std::strcmp(argv[arg], "--dry-run") == 0) {
        options.dryRun = true;
        ++arg;
    }
    if (argc - arg < 2) {
        std::cerr << "usage: xenbuild_patch_bench [--dry-run] ROOT PATCH...\n";
        return 2;
    }
    const std::filesystem::path root = argv[arg++];
    std::vector<PatchJob> jobs;
    for (; arg < argc; ++arg)
        jobs.push_back({argv[arg], argv[arg], root, 0});
    try {
        const auto reports = applySeries(jobs, options);
        std::map<std::string, int> counts;
        for (const auto& report : reports)
            ++counts[report.summary().substr(0, report.summary().find(' '))];
        for (const auto& [status, count] : counts)
            std::cerr << status << ": " << count << "\n";
    } catch (const xenbuild::Error& e) {
        std::cerr << "error: " << e.describe() << "\n";
        return 1;
    }
    return 0;
}
