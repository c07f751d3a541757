#!/bin/sh
# NAME
#	build.sh - configure and build smtp-audit into a build directory
#
# SYNOPSIS
#	scripts/build.sh [BUILD_DIR [CMAKE_ARGS...]]     (default build/, RelWithDebInfo)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$top/build"}
[ $# -gt 0 ] && shift
cmake -S "$top" -B "$dir" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
