#include "component_times.hpp"

#include <cmath>

namespace xenbuild::builder::detail {

ComponentClock::ComponentClock(const std::vector<recipe::SourcePin>& sources,
                               const std::filesystem::path& treeDir) {
    for (const auto& source : sources) {
        if (source.stageAt.empty()) continue; // the tree itself: everything else
        std::filesystem::path dir = treeDir / source.stageAt;
        if (source.stageAs == recipe::StageAs::Tarball) dir = dir.parent_path();
        directories_.emplace_back(source.name, dir.lexically_normal().string());
    }
}

void ComponentClock::onLine(std::string_view line, double seconds) {
    for (const auto& [name, prefix] : directories_) {
        if (line.find(prefix) == std::string_view::npos) continue;
        auto [span, inserted] = spans_.try_emplace(name, TimeSpan{seconds, seconds});
        if (!inserted) span->second.end = seconds;
    }
}

std::string describeSpans(const std::map<std::string, TimeSpan>& spans) {
    std::string text;
    for (const auto& [name, span] : spans) {
        if (!text.empty()) text += ", ";
        text += name + " " + std::to_string(std::lround(span.start)) + "-" +
                std::to_string(std::lround(span.end)) + " s";
    }
    return text;
}

} // namespace xenbuild::builder::detail
