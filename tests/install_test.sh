#!/usr/bin/env bash
# The install test, as Abseil's: installs this build of dedup into a temporary prefix
# (cmake --install), then configures, builds and runs tests/install_consumer -- a project
# that finds dedup with find_package(dedup REQUIRED), compiles every installed header,
# signs, clusters and indexes three documents, and checks the result -- with the same
# compiler, launcher, generator and build type. Also checks the installed files: headers (with the generated version.h),
# the library, the CMake package, and the dedup binary, which must print the version.
#
# Usage: tests/install_test.sh CMAKE BUILD_DIR CONSUMER_SOURCE VERSION GENERATOR CXX BUILD_TYPE [LAUNCHER]
# Exits 1 (printing the failing step's output) on any failure.
set -u

if [[ $# -lt 7 || $# -gt 8 ]]; then
  echo "usage: $0 CMAKE BUILD_DIR CONSUMER_SOURCE VERSION GENERATOR CXX BUILD_TYPE [LAUNCHER]" >&2
  exit 2
fi
CMAKE=$1 BUILD=$2 CONSUMER=$3 VERSION=$4 GENERATOR=$5 CXX=$6 BUILD_TYPE=$7 LAUNCHER=${8:-}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dedup_install_test.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix

# Runs a step with its output in $TMP/log; on failure prints it and exits 1.
step() {
  local name=$1
  shift
  if ! "$@" >"$TMP/log" 2>&1; then
    echo "FAIL: $name: $*"
    cat "$TMP/log"
    exit 1
  fi
  echo "ok: $name"
}

step "install into $PREFIX" "$CMAKE" --install "$BUILD" --prefix "$PREFIX"

for f in include/dedup/version.h include/dedup/cluster.h include/dedup/ingest_index.h \
         include/dedup/internal/copy_classes.h include/dedup/serve/routes.h bin/dedup; do
  step "installed $f" test -f "$PREFIX/$f"
done
step "installed libdedup.a" compgen -G "$PREFIX/lib*/libdedup.a"
step "installed dedupConfig.cmake" compgen -G "$PREFIX/lib*/cmake/dedup/dedupConfig.cmake"
step "installed dedupConfigVersion.cmake" compgen -G "$PREFIX/lib*/cmake/dedup/dedupConfigVersion.cmake"
step "the CLI's own headers are not installed" test ! -e "$PREFIX/include/dedup/cli"
step "installed dedup --version" test "$("$PREFIX/bin/dedup" --version)" = "dedup $VERSION"

configure=("$CMAKE" -S "$CONSUMER" -B "$TMP/build" -G "$GENERATOR" -DCMAKE_CXX_COMPILER="$CXX"
           -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_PREFIX_PATH="$PREFIX" -DDEDUP_EXPECTED_VERSION="$VERSION")
if [[ -n "$LAUNCHER" ]]; then configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$LAUNCHER"); fi
step "configure the consumer" "${configure[@]}"
# find_package must have found the package just installed, not another dedup.
found=$(sed -n 's/^dedup_DIR:PATH=//p' "$TMP/build/CMakeCache.txt")
step "dedup_DIR is in the prefix ($found)" test "${found#"$PREFIX"/}" != "$found"
step "build the consumer" "$CMAKE" --build "$TMP/build"
mkdir -p "$TMP/scratch"
step "run the consumer" "$TMP/build/consumer" "$TMP/scratch"
cat "$TMP/log"
