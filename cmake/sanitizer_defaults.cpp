// Default options of the sanitizer runtimes, linked into every program of a sanitizer or fuzz
// build (XENBUILD_SANITIZE, XENBUILD_FUZZ; docs/HACKING.md). Tests start xenbuild with a clean
// environment, so these cannot come from ASAN_OPTIONS and friends alone (which still override
// them where they are set).

extern "C" {

const char* __asan_default_options();
const char* __ubsan_default_options();
const char* __lsan_default_suppressions();
const char* __lsan_default_options();

const char* __asan_default_options() {
    return "halt_on_error=1:detect_leaks=1";
}

const char* __ubsan_default_options() {
    return "halt_on_error=1:print_stacktrace=1";
}

// A suppression that matched makes LeakSanitizer print a "Suppressions used" table on stderr at
// exit: the tests compare xenbuild's stderr with goldens, so the table must not appear.
const char* __lsan_default_options() {
    return "print_suppressions=0";
}

// Leaks inside libraries, not xenbuild's. Keep each narrow and say why.
const char* __lsan_default_suppressions() {
    // libgit2 1.5 (Debian 12) does not free the pcre2 match data of a regular expression that
    // does not match (fixed upstream by libgit2/libgit2#6382); git_remote_create_* runs one per
    // remote. xenbuild does not call pcre2 itself. Matched by module: libgit2 and pcre2 have no
    // frame pointers, so the fast unwinder stops inside pcre2.
    return "leak:libpcre2-8.so\n";
}

} // extern "C"
