#!/usr/bin/env bash
# The README's first command: installs what is needed, builds llava-verify, and
# runs it on the sample release in examples/sample-release (one image corrupted on
# purpose, one missing from images/ but present in images.zip). Each step is
# printed before it runs; findings (exit 1) are expected, errors (exit 2) stop it.
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

step "$LV" check --root "$S" "$S/manifest.json"
step "$LV" missing "$S/chat.json" --images "$S/images" --meta "$S/metadata.json" --csv "$out/missing.csv"
step "$LV" missing "$S/chat.json" --images "$S/images" --images "$S/images.zip"
step "$LV" rewrite "$S/chat.json" --images "$S/images" --images "$S/images.zip" --out "$out/chat.local.json"
echo
echo "Reports and rewritten records are in $out"
