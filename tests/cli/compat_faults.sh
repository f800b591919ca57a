#!/usr/bin/env bash
# Fault injection (docs/robustness.md, "Fault injection"):
#  1. a disk that fills up mid-write (a 1 MiB tmpfs when mount works; RLIMIT_FSIZE
#     with SIGXFSZ ignored, i.e. EFBIG, everywhere): exit 2, a message naming the file,
#     nothing under the final name, no temporary file, the input unchanged, and a re-run
#     with room that finishes the job;
#  2. files that shrink, grow or vanish while `check` hashes them;
#  3. folders and files that cannot be read (as root: the tool runs as nobody through
#     setpriv), a folder where a file should be, a symlink loop, a FIFO;
#  4. SIGINT and SIGKILL at seeded random points of `rewrite` (--out and --in-place),
#     `extract` and `fetch`, each followed by a re-run: exit 0, outputs byte-identical to
#     an uninterrupted run, no temporary file under a final name, the input unchanged;
#     --in-place leaves the old or the new file, never a mix.
# Usage: compat_faults.sh /path/to/llava-verify   (LV_FAULT_SEED, LV_FAULT_ITER: 4 kills
# of each kind per command by default; LV_FAULT_KEEP=1 keeps the scratch folder)
set -u
[ $# -ge 1 ] || { echo "usage: $0 /path/to/llava-verify" >&2; exit 2; }
LV=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export LC_ALL=C.UTF-8 TZ=UTC
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,127.0.0.2 no_proxy=127.0.0.1,127.0.0.2
SEED=${LV_FAULT_SEED:-20261126}
# Under ASan (about 3x slower) 2 kills of each kind, so the script stays well inside its time.
if nm "$1" 2>/dev/null | grep -q __asan_init || nm -D "$1" 2>/dev/null | grep -q __asan_init; then
  ITER=${LV_FAULT_ITER:-2}
else
  ITER=${LV_FAULT_ITER:-4}
fi
RANDOM=$SEED
S=$(mktemp -d "${TMPDIR:-/tmp}/lv-faults.XXXXXX")
chmod 755 "$S"
BGPID="" MNT=""
# shellcheck source=../net/harness.sh
. "$HERE/../net/harness.sh"
cleanup() {
  [ -n "$BGPID" ] && kill -KILL "$BGPID" 2>/dev/null
  [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
  net_stop_all
  if [ -n "${LV_FAULT_KEEP:-}" ]; then echo "kept: $S" >&2; else chmod -R u+rwX "$S" 2>/dev/null; rm -rf "$S"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0 failed=0 notes=()
T0=$SECONDS
check() {   # check "what" COMMAND...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok $what"; else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
shown() { sed -n '1,6s/^/    /p' "$@" 2>/dev/null; }
sha() { sha256sum "$1" | cut -c1-64; }
# Temporary files the tool writes: rewrite/report NAME.tmp-XXXXXX, extract and probe
# .NAME.lv-part, fetch NAME.part (+ .etag).
temps() { find "$@" \( -name '*.tmp-*' -o -name '*.lv-part' -o -name '*.part' -o -name '*.part.etag' \) 2>/dev/null; }
no_temps() { [ -z "$(temps "$@")" ]; }
absent() { [ ! -e "$1" ]; }
same() { cmp -s "$1" "$2"; }
has() { grep -qF -- "$2" "$1"; }        # FILE TEXT
code_is() { [ "$code" = "$1" ]; }
run() {     # run TAG [prefix command...] -- ARGS: the tool with a 30 s bound; sets code
  local tag=$1; shift
  local pre=()
  while [ "$1" != "--" ]; do pre+=("$1"); shift; done; shift
  timeout -k 2 30 "${pre[@]}" "$LV" "$@" >"$S/$tag.out" 2>"$S/$tag.err" </dev/null
  code=$?
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---------------------------------------------------------------- inputs
cd "$S" || exit 2
"$PY" - <<'PYEOF'
import json, random, zipfile
rng = random.Random(7)
# ~50 MB record file: 120,000 records with an image and a 300-byte conversation.
with open("records.json", "w") as f:
    f.write("[\n")
    for i in range(120_000):
        rec = {"id": "%09d" % i, "image": "GCC_train_%09d.jpg" % i,
               "conversations": [{"from": "human", "value": "<image>\n" + "w" * rng.randint(250, 400)},
                                 {"from": "gpt", "value": "ok"}]}
        f.write(("" if i == 0 else ",\n") + json.dumps(rec))
    f.write("\n]\n")
# 3000 entries of 2-6 KB, stored and deflated.
with zipfile.ZipFile("images.zip", "w") as z:
    for i in range(3000):
        data = b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(2000, 6000)) + b"\xff\xd9"
        z.writestr(zipfile.ZipInfo("GCC_train_%09d.jpg" % i, (2020, 1, 1, 0, 0, 0)), data,
                   zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED)
PYEOF
mkdir images
REC_SHA=$(sha records.json)
t=$(ms); run ref -- rewrite records.json --out ref.json --prefix /data/cc3m/; REWRITE_MS=$(( $(ms) - t ))
[ "$code" = 0 ] || { echo "FAIL: the reference rewrite exits $code"; shown "$S/ref.err"; exit 1; }
t=$(ms); run refx -- extract images.zip --dest ref-x --no-progress; EXTRACT_MS=$(( $(ms) - t ))
[ "$code" = 0 ] || { echo "FAIL: the reference extract exits $code"; shown "$S/refx.err"; exit 1; }
echo "inputs: records.json $(stat -c %s records.json) bytes (rewrite ${REWRITE_MS} ms), images.zip 3000 entries (extract ${EXTRACT_MS} ms)"

# ---------------------------------------------------------------- 1. disk full
echo "== 1. disk full"
MNT=$S/small
mkdir "$MNT"
if mount -t tmpfs -o size=1m,mode=0755 tmpfs "$MNT" 2>/dev/null; then
  run full-rw -- rewrite records.json --out "$MNT/out.json" --prefix /p/
  check "rewrite --out on a full disk: exit 2 ($code)" code_is 2
  check "rewrite --out on a full disk: the message names the file" has "$S/full-rw.err" "llava-verify: writing $MNT/out.json: No space left on device"
  check "rewrite --out on a full disk: nothing under the final name" absent "$MNT/out.json"
  check "rewrite --out on a full disk: no temporary file" no_temps "$MNT"
  run full-miss -- missing records.json --images images --json "$MNT/m.json"
  check "missing --json on a full disk: exit 2 ($code)" code_is 2
  check "missing --json on a full disk: the message names the file" has "$S/full-miss.err" "llava-verify: writing $MNT/m.json: No space left on device"
  check "missing --json on a full disk: nothing under the final name, no temporary file" eval 'absent "$MNT/m.json" && no_temps "$MNT"'
  # Two reports, the first small enough (480 KB), the second not: all or none.
  "$PY" -c 'import json; json.dump([{"id": i, "image": "GCC_train_%09d.jpg" % i} for i in range(20000)], open("small.json", "w"))'
  run full-two -- missing small.json --images images --list "$MNT/l.txt" --json "$MNT/m2.json"
  check "missing --list --json on a full disk: exit 2 ($code)" code_is 2
  check "missing --list --json on a full disk: the message names the file" has "$S/full-two.err" "llava-verify: writing $MNT/m2.json: No space left on device"
  check "missing --list --json on a full disk: neither report (the list fitted), no temporary file" \
    eval 'absent "$MNT/l.txt" && absent "$MNT/m2.json" && no_temps "$MNT"'
  # extract checks the free space first: nothing is written.
  run full-x -- extract images.zip --dest "$MNT/x" --no-progress
  check "extract onto a full disk: exit 2 ($code)" code_is 2
  check "extract onto a full disk: refused before writing" eval 'grep -q "nothing written" "$S/full-x.err" && [ -z "$(find "$MNT/x" -type f 2>/dev/null)" ]'
  check "disk full: the input is unchanged" [ "$(sha records.json)" = "$REC_SHA" ]
  umount "$MNT"; MNT=""
else
  notes+=("tmpfs mount not permitted: the ENOSPC checks were skipped (RLIMIT_FSIZE checks ran)")
  echo "note: mount -t tmpfs failed: ENOSPC checks skipped"
fi
# RLIMIT_FSIZE with SIGXFSZ ignored: writes past the limit fail with EFBIG mid-file.
FS=(env --ignore-signal=XFSZ prlimit --fsize=200000)
run fs-rw "${FS[@]}" -- rewrite records.json --out fs.json --prefix /p/
check "rewrite --out, file size limit: exit 2 ($code)" code_is 2
check "rewrite --out, file size limit: the message names the file" has "$S/fs-rw.err" "llava-verify: writing fs.json: File too large"
check "rewrite --out, file size limit: nothing under the final name, no temporary file" eval 'absent fs.json && no_temps .'
cp records.json inplace.json
run fs-ip "${FS[@]}" -- rewrite inplace.json --in-place --prefix /p/
check "rewrite --in-place, file size limit: exit 2 ($code), the input unchanged" eval 'code_is 2 && [ "$(sha inplace.json)" = "$REC_SHA" ] && no_temps .'
run fs-mc2 env --ignore-signal=XFSZ prlimit --fsize=100 -- manifest create records.json images.zip --format json -o mc.json
check "manifest create -o, file size limit: exit 2 ($code), the file named" eval 'code_is 2 && grep -q "mc.json" "$S/fs-mc2.err"'
check "manifest create -o, file size limit: nothing under the final name, no temporary file" eval 'absent mc.json && no_temps .'
run fs-x2 env --ignore-signal=XFSZ prlimit --fsize=3000 -- extract images.zip --dest fsx --no-progress
check "extract, file size limit mid-entry: exit 2 ($code), the file named" eval 'code_is 2 && grep -q "lv-part: File too large" "$S/fs-x2.err"'
check "extract, file size limit: no .lv-part left" no_temps fsx
run fs-x3 -- extract images.zip --dest fsx --no-progress
check "extract re-run with room: exit 0 ($code), the files of an uninterrupted run" eval 'code_is 0 && diff -r fsx ref-x >/dev/null'
check "file size limit: the input is unchanged" [ "$(sha records.json)" = "$REC_SHA" ]
if "$LV" probe --help >/dev/null 2>&1; then
  notes+=("probe --fetch-missing on a full disk: not covered (needs tests/net/probe_server.py; see docs)")
else
  notes+=("probe: the command is missing; its disk-full check was skipped")
fi

# ---------------------------------------------------------------- 2. files that change while check reads them
echo "== 2. files that shrink, grow or vanish while check reads them"
mkdir ch
head -c 1000 /dev/urandom >ch/small1; head -c 1000 /dev/urandom >ch/small2
truncate -s 500M ch/big                 # sparse: cheap to make, 500 MB to hash
printf 'tail' >>ch/big
(cd ch && sha256sum small1 big small2) >ch.sums
for mode in shrink grow vanish; do
  cp --sparse=always ch/big ch/big.orig 2>/dev/null || true
  "$LV" check -j 1 --root ch ch.sums >"$S/ch-$mode.out" 2>"$S/ch-$mode.err" </dev/null &
  BGPID=$!
  sleep 0.$((RANDOM % 3 + 1))
  case $mode in
    shrink) truncate -s 1000 ch/big ;;
    grow) head -c 1000000 /dev/zero >>ch/big ;;
    vanish) rm -f ch/big ;;
  esac
  i=0; while kill -0 "$BGPID" 2>/dev/null && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
  if kill -0 "$BGPID" 2>/dev/null; then kill -KILL "$BGPID"; code=999; else wait "$BGPID"; code=$?; fi
  BGPID=""
  # A file that shrinks or grows mid-read is FAILED (or reported as unreadable); one
  # unlinked mid-read is still read whole through the open descriptor (POSIX): OK is
  # right there unless the read had not started.
  check "check, big file $mode mid-read: exit 1 or 0, no hang or signal ($code)" eval '[ "$code" = 1 ] || { [ "$mode" = vanish ] && [ "$code" = 0 ]; }'
  check "check, big file $mode mid-read: the other files still verified" eval 'grep -qx "small1: OK" "$S/ch-$mode.out" && grep -qx "small2: OK" "$S/ch-$mode.out"'
  [ "$mode" != vanish ] && check "check, big file $mode mid-read: big is not OK" eval '! grep -qx "big: OK" "$S/ch-$mode.out"'
  rm -f ch/big; mv ch/big.orig ch/big 2>/dev/null || { truncate -s 500M ch/big; printf 'tail' >>ch/big; }
done
rm -rf ch

# ---------------------------------------------------------------- 3. unreadable files and folders
echo "== 3. unreadable folders and files"
mkdir -p ur/img ur/locked && chmod 755 ur
printf 'a' >ur/img/a.jpg; printf 'b' >ur/locked/b.jpg; printf 'c' >ur/secret
(cd ur && sha256sum img/a.jpg locked/b.jpg secret) >ur/m.sums
chmod 000 ur/locked ur/secret
chmod 644 ur/m.sums
AS=()
if [ "$(id -u)" = 0 ]; then
  if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  else notes+=("root without setpriv: chmod 000 does not stop root; unreadable-file checks skipped"); fi
fi
if [ "$(id -u)" != 0 ] || [ ${#AS[@]} -gt 0 ]; then
  cd ur; run ur-check "${AS[@]}" -- check m.sums; cd "$S"
  check "check, unreadable file and folder: exit 1 ($code)" code_is 1
  check "check, unreadable: 'secret: FAILED open or read', a.jpg still OK" eval 'grep -qx "secret: FAILED open or read" "$S/ur-check.out" && grep -qx "img/a.jpg: OK" "$S/ur-check.out" && grep -qx "locked/b.jpg: FAILED open or read" "$S/ur-check.out"'
  printf '[{"image": "b.jpg"}]\n' >ur/r.json; chmod 644 ur/r.json
  cd ur; run ur-miss "${AS[@]}" -- missing r.json --images locked; cd "$S"
  check "missing, unreadable image folder: exit 2 ($code) naming it" eval 'code_is 2 && grep -q "locked" "$S/ur-miss.err"'
  cd ur; run ur-rw "${AS[@]}" -- rewrite r.json --out locked2/o.json --prefix /p/; cd "$S"
  check "rewrite --out into a folder it cannot write: exit 2 ($code)" code_is 2
  cd ur; run ur-audit "${AS[@]}" -- audit locked; cd "$S"
  check "audit of an unreadable folder: exit 2 ($code), named" eval 'code_is 2 && grep -q "locked" "$S/ur-audit.err"'
fi
chmod -R u+rwX ur
# A folder where a file is listed, a symlink loop, a FIFO: statuses, no hang.
mkdir -p sp/dir; ln -s loop sp/loop; mkfifo sp/fifo; printf 'x' >sp/ok
(cd sp && { sha256sum ok; printf '%s  dir\n%s  loop\n%s  fifo\n' "$(printf x | sha256sum | cut -c1-64)" "$(printf x | sha256sum | cut -c1-64)" "$(printf x | sha256sum | cut -c1-64)"; }) >sp.sums
run sp-check -- check --root sp sp.sums
check "check of a folder, a link loop and a FIFO: exit 1 ($code), ok still OK" eval 'code_is 1 && grep -qx "ok: OK" "$S/sp-check.out"'
printf '[{"image": "fifo"}, {"image": "loop"}, {"image": "dir"}, {"image": "ok"}]\n' >sp.json
run sp-miss -- missing sp.json --images sp --deep
check "missing --deep with a FIFO, a loop and a folder as images: exit 1 ($code), no hang" code_is 1
rm -rf sp sp.sums sp.json

# ---------------------------------------------------------------- 4. SIGINT / SIGKILL, then a re-run
echo "== 4. SIGINT and SIGKILL at random points, then a re-run"
# start_bg ARGS...: the tool in the background with SIGINT at its default.
start_bg() { env --default-signal=INT "$LV" "$@" >"$S/bg.out" 2>"$S/bg.err" </dev/null & BGPID=$!; }
stop_bg() {  # stop_bg SIGNAL DELAY_MS: sets code
  sleep "$(awk -v m="$2" 'BEGIN { printf "%.3f", m / 1000 }')"
  kill -"$1" "$BGPID" 2>/dev/null
  local i=0
  while kill -0 "$BGPID" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  if kill -0 "$BGPID" 2>/dev/null; then kill -KILL "$BGPID"; { wait "$BGPID"; } 2>/dev/null; code=999; else { wait "$BGPID"; } 2>/dev/null; code=$?; fi
  BGPID=""
}
kill_code_ok() {  # a SIGINT ends with 130 (or 0/1 when the run was over); SIGKILL 137
  case $1 in INT) [ "$code" = 130 ] || [ "$code" = 0 ] ;; KILL) [ "$code" = 137 ] || [ "$code" = 0 ] ;; esac
}
leftover_tmp=0
exec 3>&2 2>/dev/null    # bash's own "Killed" job notices
for sig in INT KILL; do
  for it in $(seq 1 "$ITER"); do
    # rewrite --out
    rm -f out.json
    d=$((RANDOM % (REWRITE_MS + 50)))
    start_bg rewrite records.json --out out.json --prefix /data/cc3m/; stop_bg $sig $d
    check "rewrite --out SIG$sig at ${d} ms: exit $code" kill_code_ok $sig
    check "rewrite --out SIG$sig at ${d} ms: out.json absent or complete" eval 'absent out.json || same out.json ref.json'
    [ "$sig" = INT ] && check "rewrite --out SIGINT at ${d} ms: no temporary file" no_temps .
    n=$(temps . | wc -l); leftover_tmp=$((leftover_tmp + n)); temps . | xargs -r rm -f
    run rw-rerun -- rewrite records.json --out out.json --prefix /data/cc3m/
    check "rewrite --out SIG$sig at ${d} ms: the re-run exits 0 ($code) with the right bytes" eval 'code_is 0 && same out.json ref.json'
    check "rewrite --out SIG$sig: the input is unchanged" [ "$(sha records.json)" = "$REC_SHA" ]
    # rewrite --in-place
    cp records.json ip.json
    d=$((RANDOM % (REWRITE_MS + 50)))
    start_bg rewrite ip.json --in-place --prefix /data/cc3m/; stop_bg $sig $d
    check "rewrite --in-place SIG$sig at ${d} ms: the file is the old or the new one" eval 'same ip.json records.json || same ip.json ref.json'
    temps . | xargs -r rm -f
    # extract
    d=$((RANDOM % (EXTRACT_MS + 50)))
    rm -rf x
    start_bg extract images.zip --dest x --no-progress; stop_bg $sig $d
    check "extract SIG$sig at ${d} ms: exit $code" kill_code_ok $sig
    check "extract SIG$sig at ${d} ms: every file under a final name is complete" \
      eval '[ -z "$(cd x 2>/dev/null && find . -type f ! -name "*.lv-part" -exec cmp -s {} ../ref-x/{} \; -o -type f ! -name "*.lv-part" -print)" ]'
    run x-rerun -- extract images.zip --dest x --no-progress
    check "extract SIG$sig at ${d} ms: the re-run exits 0 ($code), the files of an uninterrupted run, no .lv-part" \
      eval 'code_is 0 && diff -r x ref-x >/dev/null && no_temps x'
  done
done
check "SIGKILL: the input of rewrite is unchanged after every kill" [ "$(sha records.json)" = "$REC_SHA" ]
[ "$leftover_tmp" -gt 0 ] && notes+=("rewrite killed: $leftover_tmp NAME.tmp-XXXXXX file(s) left beside the output (SIGKILL; never under the final name; a re-run does not remove them)")

# fetch: a real nginx, the file served slowly from byte 0 so that a kill lands mid-file.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  failed=$((failed + 1)); echo "FAIL: nginx is not installed (scripts/install-deps.sh)"
else
  mkdir files && head -c $((24 * 1048576)) /dev/urandom >files/big.bin
  export NGINX_SLOW_RATE=16m NGINX_TIMEOUT=120
  if start_nginx --slow big.bin files >"$S/nginx.err" 2>&1; then
    net_manifest m.json files big.bin
    FO=(--endpoint "$HUB_URL" --no-progress --retries 1 --retry-delay 0.05 --timeout 5)
    for sig in INT KILL; do
      for it in $(seq 1 "$ITER"); do
        d=$((100 + RANDOM % 1200))
        start_bg fetch m.json --dest fd "${FO[@]}"; stop_bg $sig $d
        check "fetch SIG$sig at ${d} ms: exit $code" kill_code_ok $sig
        check "fetch SIG$sig at ${d} ms: big.bin absent or complete" eval 'absent fd/big.bin || same fd/big.bin files/big.bin'
        run f-rerun -- fetch m.json --dest fd "${FO[@]}"
        check "fetch SIG$sig at ${d} ms: the re-run exits 0 ($code), the file is right, no .part" \
          eval 'code_is 0 && same fd/big.bin files/big.bin && no_temps fd'
        rm -rf fd
      done
    done
    stop_nginx
  else
    failed=$((failed + 1)); echo "FAIL: nginx did not start"; shown "$S/nginx.err"
  fi
fi

exec 2>&3 3>&-
for n in "${notes[@]}"; do echo "note: $n"; done
echo "compat_faults: $passed passed, $failed failed ($((SECONDS - T0)) s, seed $SEED, $ITER kills of each kind)"
[ "$failed" -eq 0 ]
