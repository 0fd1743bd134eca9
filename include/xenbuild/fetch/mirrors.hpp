#pragma once
// URL prefix rewriting. A rule FROM=TO turns every URL that starts with FROM into one that starts
// with TO; the longest matching FROM wins, and URLs are rewritten once (rules do not chain).
// Rules come from `--mirror FROM=TO` (repeatable) and from a config file with one rule per line
// (`FROM=TO` or `FROM TO`; blank lines and lines starting with '#' are ignored).

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::fetch {

struct MirrorRule {
    std::string from;
    std::string to;
};

class Mirrors {
  public:
    // Adds "FROM=TO"; throws UsageError naming the text when it is malformed.
    void add(const std::string& rule);
    void add(MirrorRule rule);
    // Adds the rules of a config file; throws ParseError with file:line on a bad line. A missing
    // file is not an error when `optional` is set.
    void loadFile(const std::filesystem::path& path, bool optional = false);

    std::string rewrite(const std::string& url) const;
    const std::vector<MirrorRule>& rules() const { return rules_; }

    // $XENBUILD_MIRRORS, else $XDG_CONFIG_HOME/xenbuild/mirrors, else ~/.config/xenbuild/mirrors.
    static std::filesystem::path defaultConfigFile();

  private:
    std::vector<MirrorRule> rules_;
};

// True for URLs that never need the network: file:// URLs and local paths.
bool isLocalUrl(const std::string& url);

} // namespace xenbuild::fetch
