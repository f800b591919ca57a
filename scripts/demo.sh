#!/usr/bin/env bash
# The README's first command: installs what is needed, builds llava-verify, and
# runs `audit` on the sample release in examples/sample-release (300 records; 15% of
# the images missing from images/ but present in images.zip), then the single
# commands, and the repair on a copy. Each step is printed before it runs; findings
# (exit 1) are expected, errors (exit 2) stop it.
set -u
cd "$(dirname "$0")/.."

step() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
  local code=$?
  if [ "$code" -ge 2 ]; then
    echo "demo: the step above failed (exit $code)" >&2
    exit "$code"
  fi
  echo "(exit $code)"
}

./scripts/install-deps.sh || exit 2
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null || exit 2
out=$(mktemp -d "${TMPDIR:-/tmp}/llava-verify-demo.XXXXXX")
LV=build/release/llava-verify
S=examples/sample-release

step "$LV" audit "$S" --report-dir "$out/audit"
step "$LV" check --root "$S" "$S/manifest.json"
step "$LV" zip "$S/images.zip"
step "$LV" missing "$S/chat.json" --images "$S/images" --meta "$S/metadata.json" --csv "$out/missing.csv"
cp -r "$S" "$out/copy"
step "$LV" extract "$S/images.zip" --dest "$out/copy/images" --records "$S/chat.json" --only-missing
step "$LV" audit "$out/copy"
step "$LV" rewrite "$S/chat.json" --images "$out/copy/images" --out "$out/chat.local.json"
echo
echo "The audit reports are in $out/audit (open report.html); the repaired copy and the rewritten records are in $out"
