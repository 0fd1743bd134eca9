#pragma once
// The error hierarchy: one type per domain, each carrying a trace of context added while
// unwinding ("while fetching source 'qemu' of 'xen_4_19'"). The CLI prints the trace
// outermost first, then the message, and maps the type to an exit status.

#include <stdexcept>
#include <string>
#include <vector>

namespace xenbuild {

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}

    // Context is added innermost first as the exception travels outwards.
    void addTrace(std::string context) { trace_.push_back(std::move(context)); }
    const std::vector<std::string>& trace() const noexcept { return trace_; }

    // The message with every trace line, outermost first, as the CLI prints it.
    std::string describe() const;

  private:
    std::vector<std::string> trace_;
};

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
        To translated(e.what());
        for (const auto& context : e.trace())
            translated.addTrace(context);
        throw translated;
    }
}

// Quotes a user-provided value for messages: 'value'.
std::string quote(const std::string& value);

} // namespace xenbuild
