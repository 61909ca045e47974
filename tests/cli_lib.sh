# Shared helpers of the command-line tests (sourced by cli_test.sh and index_cli_test.sh).
# Needs DEDUP (the binary) and TMP (a scratch folder) set by the caller. Counts results in
# `passed` / `failed`; the caller prints "N passed, M failed".
# shellcheck shell=bash
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}
# check NAME CMD...: passes if CMD succeeds.
check() {
  local name=$1
  shift
  if "$@"; then pass; else fail "$name"; fi
}

# run ARGS...: runs dedup; sets RC, and OUT / ERR (paths of stdout / stderr).
OUT=$TMP/out
ERR=$TMP/err
run() {
  "$DEDUP" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}
# expect_rc NAME CODE: RC must be CODE (prints stderr on mismatch).
expect_rc() {
  if [[ $RC -eq $2 ]]; then
    pass
  else
    fail "$1: exit code $RC, expected $2; stderr: $(head -c 500 "$ERR")"
  fi
}
# err_has NAME STRING...: stderr contains every STRING (fixed strings).
err_has() {
  local name=$1
  shift
  local s
  for s in "$@"; do
    if grep -qF -- "$s" "$ERR"; then pass; else fail "$name: stderr lacks '$s': $(head -c 500 "$ERR")"; fi
  done
}
# err_one_line NAME: stderr is exactly one line.
err_one_line() {
  local n
  n=$(wc -l <"$ERR")
  if [[ $n -eq 1 ]]; then pass; else fail "$1: stderr has $n lines: $(head -c 500 "$ERR")"; fi
}
same_file() { cmp -s "$1" "$2"; }
# as_unprivileged CMD...: runs CMD where file permissions bind: directly when not root,
# as nobody (setpriv) when root. Returns 125 without running CMD if neither is possible.
# The caller makes the files involved reachable by that user.
as_unprivileged() {
  if [[ $(id -u) -ne 0 ]]; then
    "$@"
  elif command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
  else
    return 125
  fi
}
# run_unprivileged ARGS...: run(), through as_unprivileged; RC 125: could not.
run_unprivileged() {
  as_unprivileged "$DEDUP" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}
