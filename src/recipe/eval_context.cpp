#include "eval_context.hpp"

#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/suggest.hpp"

#include <algorithm>
#include <array>

namespace xenbuild::recipe::detail {

namespace {

std::vector<std::string> split(const std::string& text, const std::string& separator) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = text.find(separator, begin);
        parts.push_back(text.substr(begin, end - begin));
        if (end == std::string::npos) return parts;
        begin = end + separator.size();
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
    // A disjunction of conjunctions ('&&' binds tighter); every term is checked, none skipped.
    bool result = false;
    for (const auto& conjunction : split(text, " || ")) {
        bool all = true;
        for (const auto& name : split(conjunction, " && ")) {
            all = this->term(name, pointer) && all;
        }
        result = result || all;
    }
    return result;
}

bool EvalContext::term(std::string name, const std::string& pointer) const {
    const bool negated = !name.empty() && name[0] == '!';
    if (negated) name.erase(0, 1);
    const auto it = args.find(name);
    if (it == args.end()) {
        throw EvalError(doc.describeAt(pointer, "condition names unknown parameter " + quote(name) +
                                                    util::didYouMean(name, keysOf(args))));
    }
    const bool* value = std::get_if<bool>(&it->second);
    if (value == nullptr) {
        throw EvalError(doc.describeAt(pointer, "condition needs a bool parameter, but " +
                                                    quote(name) + " is a string"));
    }
    return *value != negated;
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

std::vector<std::string> EvalContext::itemStrings(const nlohmann::json& item,
                                                  const std::string& at) const {
    std::vector<std::string> out;
    auto append = [&](const nlohmann::json& value, const std::string& where) {
        if (value.is_string()) {
            out.push_back(interpolate(value.get<std::string>(), where));
            return;
        }
        for (std::size_t i = 0; i < value.size(); ++i) {
            out.push_back(
                interpolate(value[i].get<std::string>(), where + "/" + std::to_string(i)));
        }
    };
    if (item.is_string()) {
        append(item, at);
    } else if (condition(item.at("if").get<std::string>(), at + "/if")) {
        append(item.at("value"), at + "/value");
    } else if (item.contains("else")) {
        append(item.at("else"), at + "/else");
    }
    return out;
}

std::vector<std::string> EvalContext::stringItems(const nlohmann::json& items,
                                                  const std::string& pointer) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        for (auto& text : itemStrings(items[i], pointer + "/" + std::to_string(i)))
            out.push_back(std::move(text));
    }
    return out;
}

std::string EvalContext::stringAt(const std::string& pointer) const {
    const nlohmann::json::json_pointer at(pointer);
    if (!doc.value.contains(at) || !doc.value.at(at).is_string()) {
        throw ParseError(doc.describeAt(pointer, "expected a string here"));
    }
    return interpolate(doc.value.at(at).get<std::string>(), pointer);
}

std::vector<std::string> EvalContext::stringsAt(const std::string& pointer) const {
    const nlohmann::json::json_pointer at(pointer);
    if (!doc.value.contains(at) || !doc.value.at(at).is_array()) {
        throw ParseError(doc.describeAt(pointer, "expected a list of strings here"));
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < doc.value.at(at).size(); ++i)
        out.push_back(stringAt(pointer + "/" + std::to_string(i)));
    return out;
}

std::map<std::string, std::string> releaseVariables(const std::chrono::year_month_day& date) {
    static constexpr std::array<const char*, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static constexpr std::array<const char*, 7> weekdays = {"Sun", "Mon", "Tue", "Wed",
                                                            "Thu", "Fri", "Sat"};
    const std::chrono::sys_days day{date};
    const std::string text = util::formatDate(date);
    const std::string year = text.substr(0, 4), month = text.substr(5, 2),
                      dayOfMonth = text.substr(8, 2);
    const auto monthName = months.at(static_cast<unsigned>(date.month()) - 1);
    const auto weekday = weekdays.at(std::chrono::weekday{day}.c_encoding());
    // date(1) pads the day with a space
    const std::string paddedDay = dayOfMonth[0] == '0' ? " " + dayOfMonth.substr(1) : dayOfMonth;
    const long long seconds =
        std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count();
    return {{"release.date", text},
            {"release.epoch", std::to_string(seconds)},
            {"release.time", "00:00:00"},
            {"release.buildDate",
             std::string(weekday) + " " + monthName + " " + paddedDay + " 00:00:00 UTC " + year},
            {"release.smbiosDate", month + "/" + dayOfMonth + "/" + year},
            {"release.vgabiosDate", dayOfMonth + " " + monthName + " " + year}};
}

} // namespace xenbuild::recipe::detail
