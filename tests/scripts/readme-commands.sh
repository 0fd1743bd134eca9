#!/usr/bin/env bash
# The README's two commands in that order, on one build directory: scripts/main-job.sh
# configures it for the tool alone (tests off), then scripts/test.sh must still build and run the
# tests, never pass on "No tests were found". Both configure through scripts/configure.sh; this
# runs it as they do (into a scratch build directory; no compiling) and checks what each leaves.
#   readme-commands.sh PROJECT_DIR WORK_DIR
set -euo pipefail
project=$1
work=$2
export PATH=/usr/bin:/bin
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
cache_value() { sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt"; }
# (no `| grep -q`: with pipefail, grep leaving early would fail the pipeline through SIGPIPE)
has_target() { ninja -C "$1" -t targets all > "$work/targets.txt" && grep -q "^$2:" "$work/targets.txt"; }

# Each README command calls the shared configure step for its mode, and every ctest of the test
# command fails when it finds no tests.
grep -q 'scripts/configure.sh main "$build_dir"' "$project/scripts/main-job.sh" ||
  fail "scripts/main-job.sh does not configure through scripts/configure.sh main"
grep -q 'scripts/configure.sh test "$build_dir"' "$project/scripts/test.sh" ||
  fail "scripts/test.sh does not configure through scripts/configure.sh test"
if grep -E '^\s*ctest ' "$project/scripts/test.sh" | grep -v -- '--no-tests=error' > "$work/bare-ctest.txt"; then
  fail "a ctest call of scripts/test.sh lacks --no-tests=error"
fi

build=$work/build
bash "$project/scripts/configure.sh" main "$build" > "$work/main.log"
[ "$(cache_value "$build" XENBUILD_TESTS)" = OFF ] || fail "the main job's configuration builds the tests"
! has_target "$build" xenbuild_tests || fail "the main job's configuration has a test target"
main_flags=$(jq -r '.[] | select(.file | endswith("src/store/store.cpp") or endswith("xenbuild_lib/src_store_0.cpp")) | .command' \
  "$build/compile_commands.json" | sed 's/ -o [^ ]*//; s/ -MT [^ ]*//; s/ -MF [^ ]*//')
[ -n "$main_flags" ] || fail "no compile command for the store module"
# What test.sh's ctest does on a directory without tests: it must fail, not pass.
if ctest --test-dir "$build" --no-tests=error -LE 'real-xen|real-tree' > "$work/empty.log" 2>&1; then
  fail "ctest --no-tests=error passed on a build directory without tests"
fi

bash "$project/scripts/configure.sh" test "$build" > "$work/test.log"
[ "$(cache_value "$build" XENBUILD_TESTS)" = ON ] || fail "the test run left XENBUILD_TESTS=$(cache_value "$build" XENBUILD_TESTS)"
[ "$(cache_value "$build" XENBUILD_WERROR)" = ON ] || fail "the test run does not treat warnings as errors"
has_target "$build" xenbuild_tests || fail "the test run's configuration has no xenbuild_tests target"
ctest --test-dir "$build" -N > "$work/tests.txt"
grep -q 'real_tree_debian_xen_bookworm' "$work/tests.txt" || fail "the test run registers no tests"
test_flags=$(jq -r '.[] | select(.file | endswith("src/store/store.cpp") or endswith("xenbuild_lib/src_store_0.cpp")) | .command' \
  "$build/compile_commands.json" | sed 's/ -o [^ ]*//; s/ -MT [^ ]*//; s/ -MF [^ ]*//')
# The library is compiled with the same flags in both: the test run reuses the main job's objects.
[ "$main_flags" = "$test_flags" ] || fail "the library's compile flags differ: main job: $main_flags; test run: $test_flags"

# A sanitizer build directory reused by the README's command is put back to a plain build.
cmake -S "$project" -B "$build" -DXENBUILD_SANITIZE=address,undefined > /dev/null
bash "$project/scripts/configure.sh" test "$build" > /dev/null
[ -z "$(cache_value "$build" XENBUILD_SANITIZE)" ] || fail "XENBUILD_SANITIZE stayed set"
echo "README commands: main then test configure one build directory correctly"
