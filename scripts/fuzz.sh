#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan (in build-fuzz/) and runs
# each for SECONDS (default 60). Fails when any target finds a crash, a sanitizer report, a leak,
# an input taking more than 1 s or more than 2 GB. See docs/HACKING.md, "Fuzzing".
#   scripts/fuzz.sh [SECONDS]
#   XENBUILD_FUZZ_TARGETS="json patch" scripts/fuzz.sh 30   only these targets
#   XENBUILD_FUZZ_BUILD_DIR=dir                             build directory (default build-fuzz)
# Each target's corpus grows in <build dir>/fuzz-work/<target>/corpus (kept between runs; the
# checked-in seeds in tests/fuzz/corpus/<target> are only read), and a failing input is saved in
# <build dir>/fuzz-work/<target>/ as crash-*, leak-*, timeout-* or oom-*.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]  (SECONDS per target, a positive integer)" >&2
  exit 2
fi
build_dir=${XENBUILD_FUZZ_BUILD_DIR:-build-fuzz}
all_targets=$(sed -n 's/^set(XENBUILD_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
targets=${XENBUILD_FUZZ_TARGETS:-$all_targets}

# Warnings are not errors here: CI's -Werror build is gcc's, and clang warns differently.
build_start=$SECONDS
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DXENBUILD_FUZZ=ON -DXENBUILD_TESTS=OFF \
  -DXENBUILD_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target fuzz_targets
echo "fuzz: built in $((SECONDS - build_start)) s"

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1
# The targets' scratch trees: in memory (tmpfs), except the archive extractor's, whose inputs may
# unpack to many megabytes; removed at the end even when a target crashed.
memory=/dev/shm
[ -d "$memory" ] || memory=${TMPDIR:-/tmp}
scratch_root=$(mktemp -d "$memory/xb-fuzz-run.XXXXXX")
disk_scratch=$(mktemp -d "${TMPDIR:-/tmp}/xb-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch_root" "$disk_scratch"' EXIT
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=()
summary=()
total_runs=0
for target in $targets; do
  binary=$build_dir/tests/fuzz/fuzz_$target
  if [ ! -x "$binary" ]; then
    echo "fuzz: no target '$target' (targets: $all_targets)" >&2
    exit 2
  fi
  work=$build_dir/fuzz-work/$target
  mkdir -p "$work/corpus"
  inputs=("$work/corpus" "tests/fuzz/corpus/$target")
  if [ -d "tests/fuzz/regressions/$target" ]; then inputs+=("tests/fuzz/regressions/$target"); fi
  options=(-max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -detect_leaks=1
           -print_final_stats=1 -artifact_prefix="$work/")
  if [ -f "tests/fuzz/dict/$target.dict" ]; then options+=(-dict="tests/fuzz/dict/$target.dict"); fi
  echo "fuzz: $target for ${seconds} s"
  status=0
  scratch=$scratch_root
  if [ "$target" = archive ]; then scratch=$disk_scratch; fi
  XENBUILD_FUZZ_SCRATCH=$scratch "$binary" "${options[@]}" "${inputs[@]}" >"$work/log" 2>&1 ||
    status=$?
  rm -rf "${scratch:?}"/* # what a failing target left
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  total_runs=$((total_runs + ${runs:-0}))
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    summary+=("$(printf '%-15s FAILED (exit %s) after %s runs; log: %s' "$target" "$status" \
      "${runs:-?}" "$work/log")")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz target failure|artifact_prefix|Test unit written|.*runtime error)' \
      "$work/log" | head -20 >&2 || tail -30 "$work/log" >&2
  else
    summary+=("$(printf '%-15s %10s runs %8s/s  corpus %s' "$target" "${runs:-?}" "${rate:-?}" \
      "$(find "$work/corpus" -type f | wc -l)")")
  fi
done

echo "fuzz: ${seconds} s per target, $total_runs runs in total"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  cat >&2 <<EOF
fuzz: FAILED: ${failed[*]}
Reproduce with: $build_dir/tests/fuzz/fuzz_<target> <input>; once fixed, commit the input to
tests/fuzz/regressions/<target>/ (docs/HACKING.md, "Fuzzing").
EOF
  exit 1
fi
