#!/bin/sh
# CLI test driver (curl-style: tests are data).  Each directory under CASES
# is one test:
#   cmd       a shell command line; $BOOTGATE is the binary under test and the
#             working directory is the case directory
#   exit      the expected exit status
#   expect    (optional) lines that must each appear in stdout+stderr
#   reject    (optional) lines that must not appear
#   check     (optional) a shell script run afterwards in the case directory
#             (with $OUT = the combined output file); must exit 0
# Output is TAP, one point per case.
set -u
BOOTGATE=$1
CASES=$2
export BOOTGATE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
for dir in "$CASES"/*/; do
  name=$(basename "$dir")
  n=$((n + 1))
  out="$tmp/$name.out"
  (cd "$dir" && sh -c "$(cat cmd)") >"$out" 2>&1 </dev/null
  status=$?
  want=$(cat "$dir/exit")
  why=""
  [ "$status" = "$want" ] || why="exit $status, want $want"
  if [ -z "$why" ] && [ -f "$dir/expect" ]; then
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      grep -qF -- "$line" "$out" || { why="missing: $line"; break; }
    done <"$dir/expect"
  fi
  if [ -z "$why" ] && [ -f "$dir/reject" ]; then
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      ! grep -qF -- "$line" "$out" || { why="unexpected: $line"; break; }
    done <"$dir/reject"
  fi
  if [ -z "$why" ] && [ -f "$dir/check" ]; then
    (cd "$dir" && OUT="$out" sh ./check) >"$tmp/check.out" 2>&1 || why="check failed: $(tail -n 3 "$tmp/check.out")"
  fi
  if [ -z "$why" ]; then
    echo "ok $n - $name"
  else
    failed=$((failed + 1))
    echo "not ok $n - $name: $why"
    sed 's/^/#   /' "$out" | head -n 40
  fi
done
echo "1..$n"
[ "$failed" = 0 ]
