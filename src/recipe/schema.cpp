#include "xenbuild/recipe/schema.hpp"

#include "xenbuild/recipe/json.hpp"
#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <vector>

namespace xenbuild::recipe {

namespace {

constexpr std::size_t kMaxPatternInput = 1024;

struct Violation {
    std::string pointer;
    bool atKey = false; // point at the member's key rather than its value
    std::string message;
};

using Violations = std::vector<Violation>;

std::string typeName(const nlohmann::json& value) {
    switch (value.type()) {
    case nlohmann::json::value_t::object:
        return "object";
    case nlohmann::json::value_t::array:
        return "array";
    case nlohmann::json::value_t::string:
        return "string";
    case nlohmann::json::value_t::boolean:
        return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
        return "integer";
    case nlohmann::json::value_t::number_float:
        return "number";
    default:
        return "null";
    }
}

bool hasType(const nlohmann::json& value, const std::string& type) {
    const std::string actual = typeName(value);
    return actual == type || (type == "number" && actual == "integer");
}

std::string article(const std::string& type) {
    return (type == "object" || type == "array" || type == "integer" ? "an " : "a ") + type;
}

// How a value is shown after "got": scalars as JSON (shortened), containers by type.
std::string shown(const nlohmann::json& value) {
    if (value.is_object() || value.is_array()) return article(typeName(value));
    std::string text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

// a < b for two JSON numbers of any representation, exact for integers (a double would round
// 2^53 + 1 and compare an unsigned 2^64 - 1 wrongly).
bool below(const nlohmann::json& a, const nlohmann::json& b) {
    if (a.is_number_float() || b.is_number_float()) return a.get<double>() < b.get<double>();
    const bool aNegative =
        a.is_number_integer() && !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
    const bool bNegative =
        b.is_number_integer() && !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
    if (aNegative != bNegative) return aNegative;
    if (aNegative) return a.get<std::int64_t>() < b.get<std::int64_t>();
    return a.get<std::uint64_t>() < b.get<std::uint64_t>();
}

std::string joinTypes(const nlohmann::json& types) {
    std::string text;
    for (std::size_t i = 0; i < types.size(); ++i) {
        if (i > 0) text += i + 1 == types.size() ? " or " : ", ";
        text += article(types[i].get<std::string>());
    }
    return text;
}

std::string joinValues(const nlohmann::json& values) {
    std::string text;
    for (std::size_t i = 0; i < values.size(); ++i)
        text += (i > 0 ? ", " : "") + values[i].dump();
    return text;
}

} // namespace

struct Schema::Impl {
    nlohmann::json root;
    std::map<std::string, std::regex> patterns;

    void compilePatterns(const nlohmann::json& node) {
        if (node.is_object()) {
            if (const auto it = node.find("pattern"); it != node.end() && it->is_string()) {
                const auto text = it->get<std::string>();
                // libstdc++'s default executor recurses once per character: a long string in
                // a recipe overflowed the stack. The breadth-first one (no back-references)
                // does not.
                patterns.emplace(text, std::regex(text, std::regex::ECMAScript |
                                                            std::regex_constants::__polynomial));
            }
        }
        if (node.is_structured()) {
            for (const auto& child : node)
                compilePatterns(child);
        }
    }

    const nlohmann::json& resolve(const nlohmann::json& schema) const {
        const auto ref = schema.find("$ref");
        if (ref == schema.end()) return schema;
        const auto text = ref->get<std::string>();
        if (text.rfind("#", 0) != 0) throw ParseError("schema: unsupported $ref " + quote(text));
        return resolve(root.at(nlohmann::json::json_pointer(text.substr(1))));
    }

    void check(const nlohmann::json& schemaIn, const nlohmann::json& value,
               const std::string& pointer, Violations& out) const {
        const nlohmann::json& schema = resolve(schemaIn);
        if (schema.is_boolean() && !schema.get<bool>()) {
            out.push_back(
                {.pointer = pointer, .message = "no value is allowed here, got " + shown(value)});
            return;
        }
        if (!schema.is_object()) return; // true: anything
        if (!checkType(schema, value, pointer, out)) return;
        checkScalar(schema, value, pointer, out);
        if (value.is_object()) checkObject(schema, value, pointer, out);
        if (value.is_array()) checkArray(schema, value, pointer, out);
        checkCombinators(schema, value, pointer, out);
    }

    bool checkType(const nlohmann::json& schema, const nlohmann::json& value,
                   const std::string& pointer, Violations& out) const {
        const auto it = schema.find("type");
        if (it == schema.end()) return true;
        const nlohmann::json types = it->is_array() ? *it : nlohmann::json::array({*it});
        for (const auto& type : types) {
            if (hasType(value, type.get<std::string>())) return true;
        }
        out.push_back({.pointer = pointer,
                       .message = "expected " + joinTypes(types) + ", got " + shown(value)});
        return false;
    }

    void checkScalar(const nlohmann::json& schema, const nlohmann::json& value,
                     const std::string& pointer, Violations& out) const {
        if (const auto it = schema.find("const"); it != schema.end() && value != *it) {
            out.push_back({.pointer = pointer,
                           .message = "expected " + it->dump() + ", got " + shown(value)});
        }
        if (const auto it = schema.find("enum"); it != schema.end()) {
            if (std::find(it->begin(), it->end(), value) == it->end()) {
                out.push_back(
                    {.pointer = pointer,
                     .message = "expected one of " + joinValues(*it) + ", got " + shown(value)});
            }
        }
        if (const auto it = schema.find("pattern"); it != schema.end() && value.is_string()) {
            const auto& pattern = it->get_ref<const std::string&>();
            const auto& text = value.get_ref<const std::string&>();
            // std::regex recurses once per character matched: a longer string could overflow
            // the stack. No value a pattern describes comes near this length.
            if (text.size() > kMaxPatternInput) {
                out.push_back({.pointer = pointer,
                               .message = "expected at most " + std::to_string(kMaxPatternInput) +
                                          " bytes for a string checked against a pattern, got " +
                                          std::to_string(text.size())});
            } else if (!std::regex_search(text, patterns.at(pattern))) {
                const auto description = schema.value("description", std::string{});
                const std::string expected =
                    description.empty() ? "a string matching '" + pattern + "'" : description;
                out.push_back({.pointer = pointer,
                               .message = "expected " + expected + ", got " + shown(value)});
            }
        }
        if (const auto it = schema.find("minimum"); it != schema.end() && value.is_number()) {
            if (below(value, *it)) {
                out.push_back(
                    {.pointer = pointer,
                     .message = "expected a number >= " + it->dump() + ", got " + shown(value)});
            }
        }
        if (const auto it = schema.find("maximum"); it != schema.end() && value.is_number()) {
            if (below(*it, value)) {
                out.push_back(
                    {.pointer = pointer,
                     .message = "expected a number <= " + it->dump() + ", got " + shown(value)});
            }
        }
    }

    void checkObject(const nlohmann::json& schema, const nlohmann::json& value,
                     const std::string& pointer, Violations& out) const {
        if (const auto it = schema.find("required"); it != schema.end()) {
            for (const auto& key : *it) {
                if (!value.contains(key.get<std::string>())) {
                    out.push_back(
                        {.pointer = pointer, .message = "missing required key " + key.dump()});
                }
            }
        }
        const auto properties = schema.find("properties");
        const auto additional = schema.find("additionalProperties");
        const auto names = schema.find("propertyNames");
        for (const auto& [key, member] : value.items()) {
            const std::string memberPointer = appendPointer(pointer, key);
            if (names != schema.end()) checkKey(*names, key, memberPointer, out);
            if (properties != schema.end() && properties->contains(key)) {
                check(properties->at(key), member, memberPointer, out);
            } else if (additional != schema.end() && additional->is_boolean() && !*additional) {
                out.push_back({.pointer = memberPointer,
                               .atKey = true,
                               .message = unexpectedKey(key, properties, schema)});
            } else if (additional != schema.end() && additional->is_object()) {
                check(*additional, member, memberPointer, out);
            }
        }
    }

    // propertyNames: the key, as a string, against `names`; reported at the key.
    void checkKey(const nlohmann::json& names, const std::string& key,
                  const std::string& memberPointer, Violations& out) const {
        Violations attempt;
        check(names, key, memberPointer, attempt);
        for (auto& violation : attempt) {
            violation.atKey = true;
            violation.message = "invalid key: " + violation.message;
            out.push_back(std::move(violation));
        }
    }

    static std::string unexpectedKey(const std::string& key,
                                     const nlohmann::json::const_iterator& props,
                                     const nlohmann::json& schema) {
        std::string allowed;
        if (props != schema.end()) {
            for (const auto& [name, unused] : props->items()) {
                allowed += (allowed.empty() ? "" : ", ") + name;
            }
        }
        return "unexpected key " + quoteShort(key) + "; expected one of: " + allowed;
    }

    void checkArray(const nlohmann::json& schema, const nlohmann::json& value,
                    const std::string& pointer, Violations& out) const {
        if (const auto it = schema.find("minItems"); it != schema.end()) {
            if (value.size() < it->get<std::size_t>()) {
                out.push_back({.pointer = pointer,
                               .message = "expected at least " + it->dump() + " item(s), got " +
                                          std::to_string(value.size())});
            }
        }
        if (const auto it = schema.find("uniqueItems"); it != schema.end() && *it == true) {
            std::set<nlohmann::json> seen;
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!seen.insert(value[i]).second) {
                    out.push_back({.pointer = appendPointer(pointer, std::to_string(i)),
                                   .message = "duplicate item " + shown(value[i]) +
                                              "; the items must be unique"});
                }
            }
        }
        const auto items = schema.find("items");
        if (items == schema.end()) return;
        for (std::size_t i = 0; i < value.size(); ++i) {
            check(*items, value[i], appendPointer(pointer, std::to_string(i)), out);
        }
    }

    void checkCombinators(const nlohmann::json& schema, const nlohmann::json& value,
                          const std::string& pointer, Violations& out) const {
        if (const auto it = schema.find("allOf"); it != schema.end()) {
            for (const auto& part : *it)
                check(part, value, pointer, out);
        }
        if (const auto it = schema.find("if"); it != schema.end()) {
            Violations ignored;
            check(*it, value, pointer, ignored);
            if (ignored.empty() && schema.contains("then")) {
                check(schema.at("then"), value, pointer, out);
            }
        }
        if (const auto it = schema.find("anyOf"); it != schema.end()) {
            checkAnyOf(*it, value, pointer, out);
        }
    }

    // A value of a type that exactly one alternative accepts is reported against that
    // alternative (the precise message); otherwise against the list of accepted types.
    void checkAnyOf(const nlohmann::json& alternatives, const nlohmann::json& value,
                    const std::string& pointer, Violations& out) const {
        std::vector<Violations> results;
        nlohmann::json types = nlohmann::json::array();
        for (const auto& alternative : alternatives) {
            Violations attempt;
            check(alternative, value, pointer, attempt);
            if (attempt.empty()) return;
            const auto& resolved = resolve(alternative);
            std::string type; // the alternative's single type, if it names one
            if (const auto it = resolved.is_object() ? resolved.find("type") : resolved.end();
                it != resolved.end() && it->is_string())
                type = it->get<std::string>();
            if (!type.empty() && hasType(value, type)) {
                out.insert(out.end(), attempt.begin(), attempt.end());
                return;
            }
            if (!type.empty()) types.push_back(type);
        }
        out.push_back({.pointer = pointer,
                       .message = "expected " + joinTypes(types) + ", got " + shown(value)});
    }
};

Schema::Schema(nlohmann::json root) : impl_(std::make_unique<Impl>()) {
    impl_->root = std::move(root);
    impl_->compilePatterns(impl_->root);
}

Schema::~Schema() = default;
Schema::Schema(Schema&&) noexcept = default;
Schema& Schema::operator=(Schema&&) noexcept = default;

void Schema::validate(const JsonDocument& document) const {
    Violations violations;
    impl_->check(impl_->root, document.value, "", violations);
    if (violations.empty()) return;
    auto positionOf = [&document](const Violation& v) {
        return v.atKey ? document.keyPositionOf(v.pointer) : document.positionOf(v.pointer);
    };
    const auto first = std::min_element(
        violations.begin(), violations.end(), [&](const Violation& a, const Violation& b) {
            const Position pa = positionOf(a);
            const Position pb = positionOf(b);
            return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
        });
    const std::string where = first->pointer.empty() ? "(document root)" : first->pointer;
    throw ParseError(document.describeAt(positionOf(*first),
                                         "schema violation at " + where + ": " + first->message));
}

Schema loadRecipeSchema() {
    return Schema(nlohmann::json::parse(recipeSchemaText()));
}

} // namespace xenbuild::recipe
