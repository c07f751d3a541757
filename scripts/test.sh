#!/bin/sh
# NAME
#	test.sh - install, build and run the whole test suite, twice
#
# DESCRIPTION
#	1. installs build and test dependencies (Postfix, clang, ...);
#	2. builds with gcc and runs every test (unit, integration against
#	   smtp-lab and real Postfix on loopback);
#	3. builds with clang under AddressSanitizer + UndefinedBehaviorSanitizer
#	   and runs every test again.
#	It ends with ctest's own summary. Exit status 0 only when both runs pass.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$top/scripts/deps.sh" --test

echo "=== build (gcc, RelWithDebInfo) ==="
"$top/scripts/build.sh" "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc
echo "=== tests (gcc) ==="
(cd "$top/build" && ctest --output-on-failure -j "$jobs")

echo "=== build (clang, ASan+UBSan) ==="
"$top/scripts/build.sh" "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	-DSA_SANITIZE=ON
echo "=== tests (clang, ASan+UBSan) ==="
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd "$top/build-asan" && ctest --output-on-failure -j "$jobs")
