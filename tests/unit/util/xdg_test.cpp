#include "xenbuild/util/xdg.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>

using namespace xenbuild;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for one scope.
class EnvOverride {
  public:
    EnvOverride(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    EnvOverride(const EnvOverride&) = delete;
    EnvOverride& operator=(const EnvOverride&) = delete;
    ~EnvOverride() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

} // namespace

TEST_CASE("util::xdgCacheHome and xdgConfigHome follow the XDG base directory rules",
          "[util][xdg]") {
    const EnvOverride home("HOME", "/home/u");
    SECTION("absolute XDG variables win") {
        const EnvOverride cache("XDG_CACHE_HOME", "/var/cache/u");
        const EnvOverride config("XDG_CONFIG_HOME", "/etc/u");
        CHECK(util::xdgCacheHome() == "/var/cache/u");
        CHECK(util::xdgConfigHome() == "/etc/u");
    }
    SECTION("unset, empty or relative ones are ignored") {
        for (const auto& value : {std::optional<std::string>{}, std::optional<std::string>{""},
                                  std::optional<std::string>{"relative/cache"}}) {
            const EnvOverride cache("XDG_CACHE_HOME", value);
            const EnvOverride config("XDG_CONFIG_HOME", value);
            CHECK(util::xdgCacheHome() == "/home/u/.cache");
            CHECK(util::xdgConfigHome() == "/home/u/.config");
        }
    }
    SECTION("without HOME either, there is none") {
        const EnvOverride cache("XDG_CACHE_HOME", std::nullopt);
        const EnvOverride config("XDG_CONFIG_HOME", "");
        for (const auto& value : {std::optional<std::string>{}, std::optional<std::string>{""}}) {
            const EnvOverride noHome("HOME", value);
            CHECK(util::xdgCacheHome().empty());
            CHECK(util::xdgConfigHome().empty());
        }
    }
}
