#pragma once
// The error hierarchy: one type per domain, each carrying a trace of context added while
// unwinding ("while fetching source 'qemu' of 'xen_4_19'"). The CLI prints the trace
// outermost first, then the message, and maps the type to an exit status.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild {

// The settings of the library's caller that a message can refer to: the input at fault, or the
// one that changes the outcome. The library names them by concept (mention() in the message);
// a front end spells them its own way: the CLI as its options ("--fetch-limit"), through
// Error::describe() and spellSettings().
enum class Setting {
    RecipeDirectory, // where the recipes are
    StoreDirectory,  // where the store is
    Offline,         // offline mode (no network connection)
    Mirror,          // a mirror rule FROM=TO
    FetchLimit,      // a fetch limit NAME=VALUE
    NoSandbox,       // building without the sandbox
    BuildArgument,   // a builder parameter NAME=VALUE given by the user
    SourceOverride,  // a local directory replacing a pinned source, NAME=DIR
    ExcludedPatch,   // an upstream patch left out of a build
    NewBranch,       // a branch to create (update)
    AdvisoryBranch,  // a branch to import an advisory for, the others marked not applicable
    Dom0Kernel,      // the dom0 kernel of the boot test
    Dom0Modules,     // the directory of the dom0 modules of the boot test
    Prune,           // removing branches past security support (update)
    DropApplied,     // dropping patches a release contains (update)
    BaseRevision,    // the git revision to compare the recipes with (ci matrix)
};

// How a front end spells each setting.
using SettingNames = std::string_view (*)(Setting);

// The concept, as what() spells it: "the fetch limit", "offline mode", ...
std::string_view conceptName(Setting setting);

// The placeholder for `setting` in a message text.
std::string mention(Setting setting);

// `text` with every placeholder replaced by names(setting).
std::string spellSettings(std::string_view text, SettingNames names = conceptName);

class Error : public std::runtime_error {
  public:
    // `message` may mention settings; what() names their concepts.
    explicit Error(const std::string& message)
        : std::runtime_error(spellSettings(message)), message_(message) {}

    // Context is added innermost first as the exception travels outwards.
    void addTrace(std::string context) { trace_.push_back(std::move(context)); }
    const std::vector<std::string>& trace() const noexcept { return trace_; }
    // The message with its settings still mentioned (what() spells their concepts).
    const std::string& message() const noexcept { return message_; }

    // The message with every trace line, outermost first, settings spelled by `names` (the CLI
    // passes its option names).
    std::string describe(SettingNames names = conceptName) const;
    // describe() with the settings still mentioned: for another error's message that quotes it.
    std::string describeMentions() const;

  private:
    std::string message_; // with the placeholders
    std::vector<std::string> trace_;
};

// NOLINTBEGIN(bugprone-macro-parentheses): the arguments are a class name and a base class.
#define XENBUILD_DEFINE_ERROR(Name, Base)                                                          \
    class Name : public Base {                                                                     \
      public:                                                                                      \
        using Base::Base;                                                                          \
    }

XENBUILD_DEFINE_ERROR(UsageError, Error); // bad command line: exit 2
XENBUILD_DEFINE_ERROR(ParseError, Error); // malformed recipe or input text
XENBUILD_DEFINE_ERROR(EvalError, Error);  // unknown package, attribute or type error
XENBUILD_DEFINE_ERROR(StoreError, Error); // store corruption, locks, I/O in the store
XENBUILD_DEFINE_ERROR(FetchError, Error); // a source could not be fetched
XENBUILD_DEFINE_ERROR(HashMismatch, FetchError);
XENBUILD_DEFINE_ERROR(SignatureError, Error); // missing, bad or untrusted signature
XENBUILD_DEFINE_ERROR(PatchError, Error);     // a patch does not apply or is malformed
XENBUILD_DEFINE_ERROR(SandboxError, Error);   // namespaces unavailable, sandbox setup failed
XENBUILD_DEFINE_ERROR(BuildError, Error);     // configure/make/install/check failed
XENBUILD_DEFINE_ERROR(SystemError, Error);    // an OS call failed (message names path and errno)
XENBUILD_DEFINE_ERROR(ArchiveError, Error);   // an archive cannot be read or written (libarchive)

#undef XENBUILD_DEFINE_ERROR
// NOLINTEND(bugprone-macro-parentheses)

// Throws SystemError "<what> '<path>': <strerror(errno)>" for the current errno.
[[noreturn]] void throwSystemError(const std::string& what, const std::string& path);

// Runs fn; if it throws an xenbuild::Error, adds `context` to its trace and rethrows.
template <typename Fn>
decltype(auto) withContext(const std::string& context, Fn&& fn) {
    try {
        return fn();
    } catch (Error& e) {
        e.addTrace(context);
        throw;
    }
}

// Runs fn; an exception of type From that it throws becomes a To with the same message and trace.
// For a module that promises its own error type for what a lower layer reports (an ArchiveError
// while unpacking a download is the fetch's FetchError).
template <typename To, typename From, typename Fn>
decltype(auto) translateError(Fn&& fn) {
    try {
        return fn();
    } catch (const From& e) {
        To translated(e.message());
        for (const auto& context : e.trace())
            translated.addTrace(context);
        throw translated;
    }
}

// `text` with every control character (below 0x20, and 0x7f) except those in `keep` written as
// `\xHH`: text from hostile input (names, recipe lines, advisories) must not reach a terminal as
// escape sequences, nor forge the markers of mention().
std::string escapeControl(std::string_view text, std::string_view keep = {});

// `value` in single quotes, control characters escaped (escapeControl).
std::string quote(const std::string& value);

} // namespace xenbuild
