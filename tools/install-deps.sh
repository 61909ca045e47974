#!/usr/bin/env bash
# Installs the Debian 12 packages dedup builds, tests and benchmarks with.
# Idempotent: does nothing when everything is already installed. Needs root (or sudo).
# --fuzz: also clang and libFuzzer, for tools/fuzz.sh (the fuzz preset).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates python3
  libxxhash-dev       # xxHash: XXH3 shingle and band-key hashing
  libabsl-dev         # Abseil: Status, flat_hash_map, str_format
  libutf8proc-dev     # utf8proc: Unicode NFKC + case folding, character classes
  libsimdjson-dev     # simdjson: JSONL parsing and UTF-8 validation
  libtbb-dev          # oneTBB: the parallel sketching pipeline
  libcli11-dev        # CLI11: subcommands, options and --help
  libxml2-dev         # libxml2: HTML input (forgiving parser, character references)
  libsqlite3-dev      # SQLite: the durable ingestion index
  libboost1.81-dev    # Boost.Beast + Boost.Asio (header-only): the `dedup serve` HTTP server
  libgtest-dev libgmock-dev  # GoogleTest
  libbenchmark-dev    # Google Benchmark
  # The Python package (python/, `import dedup`), for Debian's /usr/bin/python3:
  pybind11-dev        # pybind11's headers and CMake package: the bindings
  python3-dev         # Python.h and libpython, which the extension builds against
  python3-numpy       # signatures are NumPy uint32 arrays
  python3-pytest      # tests/python (ctest label "python")
  python3-pandas      # ClusterResult.to_pandas() (optional at import; its test needs it)
  python3-setuptools python3-wheel  # the build backend of pyproject.toml / setup.py
  python3-pip         # `python3 -m pip install --no-build-isolation .` (README, "Python")
  chromium            # headless Chromium: the HTML report's browser test (tests/report_browser_test.py); large, but
                      # the only way to check the page's script and Content-Security-Policy in a real browser
)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(
    clang-14            # the fuzz preset's compiler
    libclang-rt-14-dev  # libFuzzer and the ASan/UBSan runtimes for clang
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
