#include "eval_context.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/suggest.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace xenbuild::recipe::detail {

namespace {

std::vector<std::string> splitConjunction(const std::string& text) {
    std::vector<std::string> terms;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = text.find(" && ", begin);
        terms.push_back(text.substr(begin, end - begin));
        if (end == std::string::npos) return terms;
        begin = end + 4;
    }
}

template <typename Map>
std::vector<std::string> keysOf(const Map& map) {
    std::vector<std::string> keys;
    keys.reserve(map.size());
    for (const auto& entry : map)
        keys.push_back(entry.first);
    return keys;
}

} // namespace

bool EvalContext::condition(const std::string& text, const std::string& pointer) const {
    bool result = true;
    for (std::string term : splitConjunction(text)) {
        const bool negated = !term.empty() && term[0] == '!';
        if (negated) term.erase(0, 1);
        const auto it = args.find(term);
        if (it == args.end()) {
            throw EvalError(doc.describeAt(pointer, "condition names unknown parameter " +
                                                        quote(term) +
                                                        util::didYouMean(term, keysOf(args))));
        }
        if (!it->second.is_boolean()) {
            throw EvalError(doc.describeAt(pointer, "condition needs a bool parameter, but " +
                                                        quote(term) + " is a string"));
        }
        result = result && (it->second.get<bool>() != negated);
    }
    return result;
}

std::string EvalContext::interpolate(const std::string& text, const std::string& pointer) const {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t start = text.find("${", pos);
        if (start == std::string::npos) return out + text.substr(pos);
        if (start > 0 && text[start - 1] == '$') { // "$${" is a literal "${"
            out += text.substr(pos, start - 1 - pos) + "${";
            pos = start + 2;
            continue;
        }
        const std::size_t end = text.find('}', start);
        if (end == std::string::npos) {
            throw EvalError(doc.describeAt(pointer, "unterminated '${' in " + quoteShort(text)));
        }
        out += text.substr(pos, start - pos);
        const std::string name = text.substr(start + 2, end - start - 2);
        if (const auto it = vars.find(name); it != vars.end()) {
            out += it->second;
        } else if (name.rfind("outputs.", 0) == 0 &&
                   std::find(outputs.begin(), outputs.end(), name.substr(8)) != outputs.end()) {
            out += "${" + name + "}"; // stays symbolic: the builder knows the directory
        } else {
            auto known = keysOf(vars);
            for (const auto& output : outputs)
                known.push_back("outputs." + output);
            throw EvalError(doc.describeAt(pointer, "unknown variable " +
                                                        quoteShort("${" + name + "}") +
                                                        util::didYouMean(name, known)));
        }
        pos = end + 1;
    }
}

std::vector<std::string> EvalContext::stringItems(const nlohmann::json& items,
                                                  const std::string& pointer) const {
    std::vector<std::string> out;
    auto append = [&](const nlohmann::json& value, const std::string& at) {
        if (value.is_string()) {
            out.push_back(interpolate(value.get<std::string>(), at));
            return;
        }
        for (std::size_t i = 0; i < value.size(); ++i) {
            out.push_back(interpolate(value[i].get<std::string>(), at + "/" + std::to_string(i)));
        }
    };
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string at = pointer + "/" + std::to_string(i);
        const auto& item = items[i];
        if (item.is_string()) {
            append(item, at);
        } else if (condition(item.at("if").get<std::string>(), at + "/if")) {
            append(item.at("value"), at + "/value");
        } else if (item.contains("else")) {
            append(item.at("else"), at + "/else");
        }
    }
    return out;
}

nlohmann::json EvalContext::interpolateTree(const nlohmann::json& value,
                                            const std::string& pointer) const {
    if (value.is_string()) return interpolate(value.get<std::string>(), pointer);
    if (value.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (std::size_t i = 0; i < value.size(); ++i) {
            out.push_back(interpolateTree(value[i], pointer + "/" + std::to_string(i)));
        }
        return out;
    }
    if (value.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, member] : value.items()) {
            out[key] = interpolateTree(member, appendPointer(pointer, key));
        }
        return out;
    }
    return value;
}

long long daysSinceEpoch(const std::string& date, const std::string& what) {
    int y = 0;
    unsigned m = 0, d = 0;
    char tail = '\0';
    if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
        m < 1 || m > 12 || d < 1 || d > 31) {
        throw EvalError(what + ": expected a date YYYY-MM-DD, got " + quote(date));
    }
    // Howard Hinnant's days_from_civil.
    const long long year = m <= 2 ? y - 1 : y;
    const long long era = (year >= 0 ? year : year - 399) / 400;
    const long long yoe = year - era * 400;
    const long long mp = m > 2 ? m - 3 : m + 9;
    const long long doy = (153 * mp + 2) / 5 + d - 1;
    const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

std::map<std::string, std::string> releaseVariables(const std::string& date) {
    static constexpr std::array<const char*, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static constexpr std::array<const char*, 7> weekdays = {"Thu", "Fri", "Sat", "Sun",
                                                            "Mon", "Tue", "Wed"};
    const long long days = daysSinceEpoch(date, "release date");
    const std::string year = date.substr(0, 4), month = date.substr(5, 2), day = date.substr(8, 2);
    const auto monthName = months.at(static_cast<std::size_t>(std::stoi(month) - 1));
    const auto weekday = weekdays.at(static_cast<std::size_t>(((days % 7) + 7) % 7));
    std::string paddedDay = day[0] == '0' ? " " + day.substr(1) : day; // date(1) pads with space
    return {{"release.date", date},
            {"release.epoch", std::to_string(days * 86400)},
            {"release.time", "00:00:00"},
            {"release.buildDate",
             std::string(weekday) + " " + monthName + " " + paddedDay + " 00:00:00 UTC " + year},
            {"release.smbiosDate", month + "/" + day + "/" + year},
            {"release.vgabiosDate", day + " " + monthName + " " + year}};
}

} // namespace xenbuild::recipe::detail
