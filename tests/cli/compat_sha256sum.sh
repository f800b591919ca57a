#!/usr/bin/env bash
# Compares llava-verify with the real GNU sha256sum (coreutils 9.1) on tricky
# file names and manifests.
#
#   bash compat_sha256sum.sh /path/to/llava-verify
#
# For each scenario both tools run on the same input; standard output must be
# byte-identical, standard error identical once the program name is replaced
# (leading "sha256sum: " -> "llava-verify: "), and the exit codes equal, except
# for the documented, intentional differences, each marked "INTENTIONAL" below:
#   * a manifest with no valid line exits 2 (sha256sum exits 1);
#   * a FIFO, socket or device is never read: it is reported
#     "NAME: FAILED open or read" and on stderr
#     "llava-verify: NAME: not a regular file (FIFO, socket or device): not read".
# and these, by llava-verify's design (its --help and manifest_text.cpp):
#   * an unreadable manifest exits 2 (the messages must still match);
#   * lines with md5/sha1/sha512 digests (by length or tag) are verified with
#     that algorithm (with --algo sha256 they are malformed, as in sha256sum);
#   * a line with a NUL byte is malformed (sha256sum cuts the name at the NUL);
#   * a MANIFEST argument is required ('-' reads standard input).
# Prints a diff for each failing comparison and ends with "N passed, M failed".
set -u
export LC_ALL=C.UTF-8 TZ=UTC

if [ $# -lt 1 ]; then
  echo "usage: bash $0 /path/to/llava-verify" >&2
  exit 2
fi
LV=$(realpath "$1")
if ! command -v sha256sum >/dev/null; then
  echo "sha256sum not found: skipping" >&2
  exit 0
fi

S=$(mktemp -d "${TMPDIR:-/tmp}/lv-compat.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  trap 'echo "scratch folder kept: $S"' EXIT     # KEEP=1: for debugging
else
  trap 'chmod -R u+rwX "$S" 2>/dev/null; rm -rf "$S"' EXIT
fi
O=$S/out     # captured outputs: s.out s.err s.rc (sha256sum), l.* (llava-verify)
M=$S/m       # manifests
T=$S/t       # the reference tree; checks run on copies of it
mkdir -p "$O" "$M" "$T"

passed=0
failed=0
TMO=20       # seconds; a hang is a failure, not a stuck ctest

# run_s CMD...: run the reference command, capture into $O/s.*
# run_l CMD...: run the llava-verify command, capture into $O/l.*
# Standard input comes from $IN (default /dev/null).
run_s() {
  timeout "$TMO" "$@" <"${IN:-/dev/null}" >"$O/s.out" 2>"$O/s.raw"
  echo $? >"$O/s.rc"
  sed 's/^sha256sum: /llava-verify: /' "$O/s.raw" >"$O/s.err"
}
run_l() {
  timeout "$TMO" "$@" <"${IN:-/dev/null}" >"$O/l.out" 2>"$O/l.err"
  echo $? >"$O/l.rc"
}

# verdict LABEL: compare $O/s.* with $O/l.*
verdict() {
  local label=$1 ok=1
  local sc lc
  sc=$(cat "$O/s.rc")
  lc=$(cat "$O/l.rc")
  if ! cmp -s "$O/s.out" "$O/l.out"; then ok=0; fi
  if ! cmp -s "$O/s.err" "$O/l.err"; then ok=0; fi
  if [ "$sc" != "$lc" ]; then ok=0; fi
  if [ $ok = 1 ]; then
    passed=$((passed + 1))
    return 0
  fi
  failed=$((failed + 1))
  echo "FAIL: $label  (in $PWD)"
  if ! cmp -s "$O/s.out" "$O/l.out"; then
    echo "  stdout differs (--- expected/sha256sum, +++ llava-verify; cat -A):"
    diff -u <(cat -A "$O/s.out") <(cat -A "$O/l.out") | tail -n +3 | sed 's/^/    /'
  fi
  if ! cmp -s "$O/s.err" "$O/l.err"; then
    echo "  stderr differs (--- expected/sha256sum, +++ llava-verify; cat -A):"
    diff -u <(cat -A "$O/s.err") <(cat -A "$O/l.err") | tail -n +3 | sed 's/^/    /'
  fi
  if [ "$sc" != "$lc" ]; then
    echo "  exit code: expected $sc, llava-verify $lc"
  fi
  return 1
}

# check_both LABEL ARGS...: sha256sum --check ARGS vs llava-verify check ARGS,
# in the current folder. $LV_RC overrides the expected exit code.
check_both() {
  local label=$1
  shift
  run_s sha256sum --check "$@"
  run_l "$LV" check "$@"
  if [ -n "${LV_RC:-}" ]; then echo "$LV_RC" >"$O/s.rc"; fi
  verdict "check: $label"
}

# ---------------------------------------------------------------------------
# The reference tree.
longname=$(printf 'L%.0s' {1..250})
names=(
  'plain.txt'
  'with space'
  ' leading space'
  '  two leading spaces'
  'trailing space '
  $'new\nline'
  $'endnl\n'
  $'\nstartnl'
  $'car\rriage'
  $'endcr\r'
  'back\slash'
  'trailing\'
  '\leading-backslash'
  'back\nslash-n-literal'
  $'back\\and\nnewline'
  $'tab\there'
  "it's"
  'dq"uote'
  'co:lon'
  'name: OK'
  $'\xff\xfe-latin1-\xe9'
  'café'
  '-dash'
  '--double-dash'
  '*star'
  '**two-stars'
  ' *space-star'
  'SHA256 (fake) = 0'
  'paren) = x'
  '(open'
  '#hash-first'
  '$dollar`tick`'
  "$longname"
  'empty'
  'big.bin'
  'sub/inner.txt'
  'sub/deeper/x y'
  'sub dir/ file'
  $'sub\nnl/inside'
  'sub-dash/a'
  'sub.dot/a'
  'zz/last'
)
for n in "${names[@]}"; do
  mkdir -p "$T/$(dirname -- "$n")"
  printf 'content of <%s>\n' "$n" >"$T/$n"
done
: >"$T/empty"
head -c $((3 * 1024 * 1024 + 17)) /dev/zero | tr '\0' 'b' >"$T/big.bin"

# Names as sha256sum sees them for the folder: relative, bytewise sorted.
listing=$M/names.z
(cd "$T" && find . -type f -print0 | LC_ALL=C sort -z | sed -z 's|^\./||') >"$listing"
nfiles=$(tr -cd '\0' <"$listing" | wc -c)

# Reference manifests, made by sha256sum.
(cd "$T" && xargs -0 sha256sum -- <"$listing") >"$M/text.sha256"
(cd "$T" && xargs -0 sha256sum --binary -- <"$listing") >"$M/binary.sha256"
(cd "$T" && xargs -0 sha256sum --tag -- <"$listing") >"$M/tag.sha256"

# ---------------------------------------------------------------------------
# manifest create vs sha256sum.
cd "$S" || exit 2

run_s bash -c 'cd t && xargs -0 sha256sum -- <"$1"' _ "$listing"
run_l "$LV" manifest create --format sha256sum t
verdict "create sha256sum: folder" || true
cp "$O/l.out" "$M/lv-text.sha256"

run_s bash -c 'cd t && xargs -0 sha256sum --tag -- <"$1"' _ "$listing"
run_l "$LV" manifest create --format bsd t
verdict "create bsd: folder" || true
cp "$O/l.out" "$M/lv-tag.sha256"

run_s bash -c 'cd t && xargs -0 sha256sum -- <"$1"' _ "$listing"
run_l "$LV" manifest create t
verdict "create (default format): folder" || true

run_s bash -c 'cd t/sub && sha256sum -- deeper/"x y" inner.txt'
run_l "$LV" manifest create --format sha256sum "$S/t/sub/"
verdict "create sha256sum: absolute folder with trailing slash" || true

run_s bash -c 'cd t && xargs -0 sha256sum -- <"$1"' _ "$listing"
run_l bash -c 'cd t && "$1" manifest create --format sha256sum .' _ "$LV"
verdict "create sha256sum: folder '.'" || true

# A file, a folder, a file: argument order; the folder's names are relative
# to it.
run_s bash -c 'cd t && sha256sum -- empty && (cd sub && sha256sum -- deeper/"x y" inner.txt) && sha256sum -- big.bin'
run_l bash -c 'cd t && "$1" manifest create --format sha256sum -- empty sub big.bin' _ "$LV"
verdict "create sha256sum: file, folder, file" || true

# Files named on the command line keep the name as given, in the given order.
cd "$T" || exit 2
args=('with space' $'new\nline' $'car\rriage' 'back\slash' $'back\\and\nnewline'
      $'\xff\xfe-latin1-\xe9' 'café' '*star' "$longname" 'empty' './plain.txt'
      'sub//inner.txt' "$T/co:lon" 'sub/../name: OK' 'plain.txt' 'plain.txt')
run_s sha256sum -- "${args[@]}"
run_l "$LV" manifest create --format sha256sum -- "${args[@]}"
verdict "create sha256sum: files as arguments" || true
run_s sha256sum --tag -- "${args[@]}"
run_l "$LV" manifest create --format bsd -- "${args[@]}"
verdict "create bsd: files as arguments" || true

run_s sha256sum -- -dash --double-dash
run_l "$LV" manifest create --format sha256sum -- -dash --double-dash
verdict "create sha256sum: names with leading dashes after --" || true

run_s sha256sum -- plain.txt no-such-file empty
run_l "$LV" manifest create --format sha256sum -- plain.txt no-such-file empty
verdict "create sha256sum: a missing file" || true

run_s sha256sum -- plain.txt 'no such file' $'no\nsuch'
run_l "$LV" manifest create --format sha256sum -- plain.txt 'no such file' $'no\nsuch'
verdict "create sha256sum: missing files with quoted names" || true

if [ -r /proc/self/mem ] && ! cat /proc/self/mem >/dev/null 2>&1; then
  # Running as root, chmod 000 does not stop reads: a symlink to
  # /proc/self/mem opens fine but every read fails (EIO).
  ln -s /proc/self/mem "$S/unreadable"
  run_s sha256sum -- plain.txt "$S/unreadable" empty
  run_l "$LV" manifest create --format sha256sum -- plain.txt "$S/unreadable" empty
  verdict "create sha256sum: an unreadable file" || true
  rm -f "$S/unreadable"
fi

# ---------------------------------------------------------------------------
# Checks on the intact tree: all OK.
cd "$T" || exit 2
for m in text binary tag lv-text lv-tag; do
  check_both "$m manifest, intact tree" "$M/$m.sha256"
  check_both "$m manifest, intact tree, --quiet" --quiet "$M/$m.sha256"
  check_both "$m manifest, intact tree, --status" --status "$M/$m.sha256"
  check_both "$m manifest, intact tree, --strict --warn" --strict --warn "$M/$m.sha256"
  check_both "$m manifest, intact tree, --ignore-missing" --ignore-missing "$M/$m.sha256"
done
IN=$M/text.sha256 check_both "manifest on standard input (-)" -
# (Not compared: `sha256sum -c` without a manifest reads standard input;
# llava-verify's synopsis requires MANIFEST..., '-' is standard input.)

# Round trip: the other tool's manifest, explicitly with the expected result.
run_s sha256sum --check "$M/lv-text.sha256"
run_l "$LV" check "$M/text.sha256"
verdict "round trip: sha256sum checks llava-verify's manifest; llava-verify checks sha256sum's" || true
if [ "$(cat "$O/s.rc")" != 0 ] || [ "$(grep -c ': OK$' "$O/s.out")" -lt "$nfiles" ]; then
  failed=$((failed + 1)); echo "FAIL: round trip: sha256sum did not verify every file of llava-verify's manifest"
else
  passed=$((passed + 1))
fi
run_s sha256sum --check "$M/lv-tag.sha256"
run_l "$LV" check "$M/tag.sha256"
verdict "round trip (bsd/--tag)" || true

# --root: names resolved against DIR instead of the current folder.
cd "$S" || exit 2
run_s bash -c 'cd t && sha256sum --check "$1"' _ "$M/text.sha256"
run_l "$LV" check --root t "$M/text.sha256"
verdict "check --root DIR from elsewhere" || true

# ---------------------------------------------------------------------------
# A damaged copy of the tree.
D=$S/d
cp -a "$T" "$D"
cd "$D" || exit 2
printf 'corrupted' >'plain.txt'
printf 'x' >>$'new\nline'
printf 'x' >>'big.bin'
printf 'not empty' >'empty'
printf 'corrupted' >$'\xff\xfe-latin1-\xe9'
rm -f 'with space' $'back\\and\nnewline' "$longname" '*star'
rm -f $'car\rriage'; mkdir $'car\rriage'                 # now a directory
rm -f 'co:lon'; ln -s 'no-such-target' 'co:lon'          # dangling symlink
rm -f 'café'; ln -s 'plain.txt' 'café'                   # symlink to a corrupted file
rm -f $'tab\there'; ln -s "$T/"$'tab\there' $'tab\there'   # symlink to the good file
rm -rf 'sub dir'                                          # a whole folder gone
rm -f 'sub-dash/a'; ln -s 'a' 'sub-dash/a'                # symlink loop (ELOOP)
rm -f 'sub.dot/a'; ln -s "$T/sub" 'sub.dot/a'             # symlink to a folder
if [ -r /proc/self/mem ] && ! cat /proc/self/mem >/dev/null 2>&1; then
  rm -f "it's"; ln -s /proc/self/mem "it's"               # opens, reads fail (EIO)
elif [ "$(id -u)" != 0 ]; then
  chmod 000 "it's"                                        # unreadable (not root)
fi                                                        # else: stays readable

for m in text binary tag lv-text; do
  check_both "$m manifest, damaged tree" "$M/$m.sha256"
done
check_both "damaged: --quiet" --quiet "$M/text.sha256"
check_both "damaged: --status" --status "$M/text.sha256"
check_both "damaged: --warn" --warn "$M/text.sha256"
check_both "damaged: --strict" --strict "$M/text.sha256"
check_both "damaged: --ignore-missing" --ignore-missing "$M/text.sha256"
check_both "damaged: --ignore-missing --quiet" --ignore-missing --quiet "$M/text.sha256"
check_both "damaged: --ignore-missing --status" --ignore-missing --status "$M/text.sha256"
check_both "damaged: --warn --strict --ignore-missing --quiet" --warn --strict --ignore-missing --quiet "$M/tag.sha256"

# Only missing files: --ignore-missing has nothing left to verify.
printf '%s  %s\n' "$(printf 'a%.0s' {1..64})" 'with space' "$(printf 'b%.0s' {1..64})" 'gone/too' >"$M/allmissing.sha256"
check_both "all missing" "$M/allmissing.sha256"
check_both "all missing, --ignore-missing" --ignore-missing "$M/allmissing.sha256"
check_both "all missing, --ignore-missing --quiet" --ignore-missing --quiet "$M/allmissing.sha256"
check_both "all missing, --ignore-missing --status" --ignore-missing --status "$M/allmissing.sha256"
check_both "all missing, --ignore-missing --strict" --ignore-missing --strict "$M/allmissing.sha256"
# --ignore-missing ignores only "No such file or directory", not ENOTDIR.
rm -rf 'zz'; printf 'file' >'zz'
check_both "a name under a file (ENOTDIR)" "$M/text.sha256"
check_both "a name under a file (ENOTDIR), --ignore-missing" --ignore-missing "$M/text.sha256"
rm -f 'zz'; mkdir 'zz'; cp "$T/zz/last" 'zz/last'
grep -a -v "$(printf 'a%.0s' {1..64})" "$M/allmissing.sha256" >"$M/onemissing.sha256"
sed -n '1p' "$M/text.sha256" >>"$M/onemissing.sha256"
check_both "missing + present, --ignore-missing" --ignore-missing "$M/onemissing.sha256"

# ---------------------------------------------------------------------------
# Hand-written manifests: malformed lines, CRLF, comments, case, whitespace.
cd "$T" || exit 2
h() { sha256sum -- "$1" | sed 's/^\\//' | cut -c1-64; }   # hex digest of a file
HP=$(h plain.txt)
HE=$(h empty)
HS=$(h 'with space')
UP=$(printf '%s' "$HP" | tr a-f A-F)
ZERO=$(printf '0%.0s' {1..64})

{
  printf '%s  %s\n' "$HP" plain.txt
  printf 'this is not a checksum line\n'
  printf '%s  %s\n' "$HE" empty
  printf '%s  %s\n' "${HP:0:63}" plain.txt                # too short
  printf '%s0  %s\n' "$HP" plain.txt                       # too long
  printf '%sg  %s\n' "${HP:0:63}" plain.txt                # not hex
  printf '%s\n' "$HP"                                      # no name
  printf '%s  \n' "$HP"                                    # empty name
  printf '%s  %s\n' "$ZERO" 'with space'                   # wrong digest
  printf 'SHA256 (plain.txt) = %s\n' "$HP"                 # tagged line mixed in
  printf 'SHA256 (plain.txt)= %s\n' "$HP"                  # bad tag
  printf 'SHA256 (plain.txt) =  %s\n' "$HP"
  printf '\\%s  %s\n' "$HP" 'back\\slash'                  # escaped name
  printf '\\%s  %s\n' "$HP" 'bad\qescape'                  # invalid escape
  printf '\\%s  %s\n' "$HP" 'trailing\'                    # lone trailing backslash
  printf '%s  %s\n' "$(h 'back\slash')" 'back\slash'       # literal backslash, unescaped line
} >"$M/malformed.sha256"
check_both "malformed lines mixed in" "$M/malformed.sha256"
for opts in "--quiet" "--status" "--warn" "--strict" "--strict --quiet" \
            "--strict --status" "--warn --strict" "--warn --quiet" "--quiet --warn" \
            "--status --warn" "--warn --status" "--quiet --status" "--status --quiet" \
            "--ignore-missing --warn" "--ignore-missing --strict --status"; do
  # shellcheck disable=SC2086 # the options are words
  check_both "malformed lines, $opts" $opts "$M/malformed.sha256"
done

# Only malformed lines. INTENTIONAL: llava-verify exits 2 (sha256sum 1).
printf 'garbage\nmore garbage\n' >"$M/nothing.sha256"
LV_RC=2 check_both "no valid line" "$M/nothing.sha256"
LV_RC=2 check_both "no valid line, --warn" --warn "$M/nothing.sha256"
LV_RC=2 check_both "no valid line, --status" --status "$M/nothing.sha256"
LV_RC=2 check_both "no valid line, --ignore-missing" --ignore-missing "$M/nothing.sha256"
: >"$M/empty.sha256"
LV_RC=2 check_both "empty manifest" "$M/empty.sha256"
printf '# only a comment\n\n\r\n' >"$M/comments-only.sha256"
LV_RC=2 check_both "comments and blank lines only" "$M/comments-only.sha256"
IN=$M/nothing.sha256 LV_RC=2 check_both "no valid line on standard input" -
IN=$M/malformed.sha256 check_both "malformed lines on standard input, --warn" --warn -
cp "$M/malformed.sha256" "$M/"$'my man\nifest\'s'
check_both "malformed lines, --warn, manifest with a tricky name" --warn "$M/"$'my man\nifest\'s'

# CRLF line endings, comments, blank lines, upper case hex, leading whitespace.
{
  printf '# a comment\r\n'
  printf '%s  %s\r\n' "$HP" plain.txt
  printf '\r\n'
  printf '\n'
  printf '%s  %s\r\n' "$UP" plain.txt
  printf ' %s  %s\n' "$HP" plain.txt
  printf '\t %s  %s\n' "$HP" plain.txt
  printf ' # indented comment\n'
  printf '  \n'
  printf '%s *%s\r\n' "$HE" empty
  printf 'SHA256 (%s) = %s\r\n' 'with space' "$HS"
  printf 'SHA256 (%s) = %s\n' 'with space' "$(printf '%s' "$HS" | tr a-f A-F)"
  printf '%s  %s' "$HE" empty                            # no final newline
} >"$M/crlf.sha256"
check_both "CRLF, comments, blank lines, upper case, leading whitespace" "$M/crlf.sha256"
check_both "CRLF etc., --warn --strict" --warn --strict "$M/crlf.sha256"
printf '%s  %s\r\r\n' "$HP" plain.txt >"$M/twocr.sha256"     # one CR is stripped
check_both "line ending in two CRs: the name ends in CR" "$M/twocr.sha256"
sed 's/$/\r/' "$M/text.sha256" >"$M/text-crlf.sha256"
check_both "whole sha256sum manifest with CRLF" "$M/text-crlf.sha256"
sed 's/$/\r/' "$M/tag.sha256" >"$M/tag-crlf.sha256"
check_both "whole --tag manifest with CRLF" "$M/tag-crlf.sha256"

# "Reversed BSD" lines (digest, one space, name), as from `md5 -r`: accepted
# by sha256sum only if no earlier line of the manifest was a standard one.
printf '%s %s\n%s %s\n' "$HP" plain.txt "$HS" 'with space' >"$M/reversed.sha256"
check_both "reversed bsd lines" "$M/reversed.sha256"
printf '%s  %s\n%s %s\n' "$HP" plain.txt "$HS" 'with space' >"$M/reversed-mixed.sha256"
check_both "standard then reversed bsd line" --warn "$M/reversed-mixed.sha256"
printf '%s %s\n%s  %s\n' "$HS" 'with space' "$HP" plain.txt >"$M/reversed-mixed2.sha256"
check_both "reversed bsd then standard line" --warn "$M/reversed-mixed2.sha256"
printf '%s %s\n' "$HP" ' leading space' >"$M/reversed-space.sha256"
check_both "reversed bsd line, name with leading space" --warn "$M/reversed-space.sha256"

printf '%s\t%s\n' "$HP" plain.txt >"$M/tab-first.sha256"
check_both "tab after the digest, first line (reversed bsd)" --warn "$M/tab-first.sha256"
printf '%s  %s\n%s\t%s\n' "$HE" empty "$HP" plain.txt >"$M/tab-second.sha256"
check_both "tab after the digest, after a standard line" --warn "$M/tab-second.sha256"

# Tagged lines: the space between the algorithm and '(' is optional, the
# spaces around '=' are flexible.
{
  printf 'SHA256 (plain.txt)= %s\n' "$HP"
  printf 'SHA256 (plain.txt) =%s\n' "$HP"
  printf 'SHA256 (plain.txt) =  %s\n' "$HP"
  printf 'SHA256  (plain.txt) = %s\n' "$HP"
  printf 'sha256 (plain.txt) = %s\n' "$HP"
  printf 'SHA256 (plain.txt) = %s \n' "$HP"
} >"$M/tagvariants.sha256"
check_both "tagged line variants, --warn" --warn "$M/tagvariants.sha256"
printf 'SHA256(plain.txt) = %s\n' "$HP" >"$M/tag-nospace.sha256"
check_both "tagged line without a space before '('" "$M/tag-nospace.sha256"

# A line naming "-": sha256sum hashes its standard input.
printf '%s  %s\n%s  %s\n' "$HP" plain.txt "$HE" - >"$M/dash.sha256"
check_both "a line naming '-' (standard input, empty)" "$M/dash.sha256"

# INTENTIONAL (by design, see manifest_text.cpp): a line with a NUL byte is
# improperly formatted; sha256sum cuts the name at the NUL. Expected: what
# sha256sum says when that line is plain garbage.
printf '%s  %s\n%s  pl\0ain.txt\n' "$HE" empty "$HP" >"$M/nul.sha256"
printf '%s  %s\ngarbage\n' "$HE" empty >"$M/nul-expected.sha256"
run_s sha256sum --check --warn "$M/nul-expected.sha256"
sed -i "s|nul-expected.sha256|nul.sha256|" "$O/s.err"
run_l "$LV" check --warn "$M/nul.sha256"
verdict "check: a NUL byte in a line is a malformed line (intentional difference)" || true

# Digests of other algorithms (by length, or tagged) in a sha256sum manifest.
# With --algo sha256, untagged lines of other lengths are malformed, as for
# sha256sum. INTENTIONAL: by default llava-verify takes the algorithm from the
# digest length or the tag (multi-algorithm manifests), so the expected output
# is sha256sum's for the same lines written with SHA-256 digests.
MD5P=$(md5sum plain.txt | cut -c1-32)
SHA1P=$(sha1sum plain.txt | cut -c1-40)
SHA512P=$(sha512sum plain.txt | cut -c1-128)
{
  printf '%s  %s\n' "$HP" plain.txt
  printf '%s  %s\n' "$MD5P" plain.txt
  printf '%s  %s\n' "$SHA512P" plain.txt
  printf '%s  %s\n' "$SHA1P" plain.txt
  printf '%s  %s\n' "$(printf 'a%.0s' {1..48})" plain.txt
} >"$M/otherlen.sha256"
run_s sha256sum --check --warn "$M/otherlen.sha256"
run_l "$LV" check --algo sha256 --warn "$M/otherlen.sha256"
verdict "check --algo sha256: md5/sha1/sha512-length digests are malformed" || true
{
  printf '%s  %s\n' "$MD5P" plain.txt
  printf '%s  %s\n' "$SHA1P" empty
  printf 'MD5 (%s) = %s\n' plain.txt "$MD5P"
  printf 'SHA512 (%s) = %s\n' plain.txt "$SHA512P"
  printf 'SHA1 (%s) = %s\n' plain.txt "$SHA1P"
} >"$M/multialgo.sha256"
{
  printf '%s  %s\n' "$HP" plain.txt
  printf '%s  %s\n' "$ZERO" empty
  printf 'SHA256 (%s) = %s\n' plain.txt "$HP"
  printf 'SHA256 (%s) = %s\n' plain.txt "$HP"
  printf 'SHA256 (%s) = %s\n' plain.txt "$HP"
} >"$M/multialgo-expected.sha256"
run_s sha256sum --check "$M/multialgo-expected.sha256"
run_l "$LV" check "$M/multialgo.sha256"
verdict "check: md5/sha1/sha512 lines verified by their own algorithm (intentional difference)" || true

# Absolute names, names with "..", a name too long for the file system.
{
  printf '%s  %s\n' "$HP" "$T/plain.txt"
  printf '%s  %s\n' "$HP" "../t/plain.txt"
  printf '%s  %s\n' "$HP" "./sub/../plain.txt"
  printf '%s  %s\n' "$HP" ".//plain.txt"
  printf '%s  %s\n' "$HP" "$(printf 'N%.0s' {1..300})"
  printf '%s  %s\n' "$HP" "$(printf 'd/%.0s' {1..2100})x"
  printf '\\%s  %s\n' "$HE" 'empty'                     # escaped line, nothing escaped
} >"$M/paths.sha256"
check_both "absolute, '..', too long names" "$M/paths.sha256"

# Duplicates, the same manifest twice, names that exist twice.
{ cat "$M/text.sha256"; head -n 3 "$M/text.sha256"; } >"$M/dup.sha256"
check_both "duplicate lines" --quiet "$M/dup.sha256"

# ---------------------------------------------------------------------------
# Several manifests on one command line: warnings after each manifest.
cd "$D" || exit 2
check_both "several manifests" "$M/text.sha256" "$M/malformed.sha256" "$M/tag.sha256"
check_both "several manifests, --warn" --warn "$M/malformed.sha256" "$M/text.sha256" "$M/malformed.sha256"
check_both "several manifests, --ignore-missing" --ignore-missing "$M/allmissing.sha256" "$M/text.sha256"
# INTENTIONAL: one manifest without a valid line makes the exit code 2.
LV_RC=2 check_both "several manifests, one with no valid line" "$M/nothing.sha256" "$M/tag.sha256"
IN=$M/malformed.sha256 check_both "several manifests, one on standard input" "$M/text.sha256" - "$M/tag.sha256"
# An unreadable manifest: llava-verify exits 2 (documented in its --help:
# "2 the check could not run: ... unreadable manifest"), sha256sum 1; the
# messages must still be sha256sum's, in the same place.
LV_RC=2 check_both "several manifests, one missing" "$M/text.sha256" "$M/no-such-manifest" "$M/tag.sha256"
# INTENTIONAL: a manifest that is a folder is named as such (sha256sum says
# "read error"), and exits 2.
run_s sha256sum --check "$M/tag.sha256" "$M"
sed -i "s|^llava-verify: $M: read error\$|llava-verify: $M: Is a directory|" "$O/s.err"
echo 2 >"$O/s.rc"
run_l "$LV" check "$M/tag.sha256" "$M"
verdict "check: a manifest that is a folder (intentional difference)" || true

# ---------------------------------------------------------------------------
# Missing files: the error message quotes the name as coreutils does
# (shell-escape quoting), for every tricky name.
E=$S/e
mkdir -p "$E" "$S/x"
cd "$S/x" || exit 2
quote_names=(
  $'caf\xc3\xa9\xff' $'\x01ctrl' $'del\x7f' $'esc\x1b[0m' $'c1\xc2\x80ctrl' $'nbsp\xc2\xa0'
  $'zwsp\xe2\x80\x8b' $'e\xcc\x81combining' '日本語' '~tilde' 'mid~tilde' '#hash' 'a#b' 'x=y'
  '{brace}' 'a,b' '%pct' '+plus' '@at' 'a!b' 'a?b' 'a[b]' 'a|b' 'a&b' 'a;b' 'a<b>' 'a^b'
  $'\t' ' ' "''" "a'b\"c" "a'b\$c" $'a\'b\nc' "a'b c" $'\r' $'\n' $'x\r' $'\rx' '\' '--'
)
for n in "${quote_names[@]}"; do printf 'q' >"$n"; done
sha256sum -- "${quote_names[@]}" >"$M/quote.sha256"
run_s sha256sum -- "${quote_names[@]}"
run_l "$LV" manifest create --format sha256sum -- "${quote_names[@]}"
verdict "create sha256sum: control, non-UTF-8 and shell characters" || true
run_s bash -c 'find . -type f -print0 | LC_ALL=C sort -z | sed -z "s|^\./||" | xargs -0 sha256sum --tag --'
run_l "$LV" manifest create --format bsd .
verdict "create bsd: folder with control, non-UTF-8 and shell characters" || true
cd "$E" || exit 2
check_both "missing files, quoting of every tricky name" "$M/text.sha256"
check_both "missing files, quoting of control, non-UTF-8 and shell characters" "$M/quote.sha256"

# ---------------------------------------------------------------------------
# INTENTIONAL: special files are never read. Expected output: what sha256sum
# says when the name is a directory ("could not be read"), with the
# directory's error replaced by llava-verify's message.
cd "$S" || exit 2
F=$S/f
mkdir -p "$F"
printf 'x\n' >"$F/regular"
printf '%s  %s\n%s  %s\n%s  %s\n' "$(h "$T/empty")" 'a fifo' "$ZERO" regular "$(h "$T/empty")" 'a device' >"$M/special.sha256"
cd "$F" || exit 2
mkdir 'a fifo' 'a device'
run_s sha256sum --check "$M/special.sha256"
rmdir 'a fifo' 'a device'
mkfifo 'a fifo'
ln -s /dev/null 'a device'
sed -i -e "s/^llava-verify: 'a fifo': Is a directory\$/llava-verify: 'a fifo': not a regular file (FIFO, socket or device): not read/" \
       -e "s/^llava-verify: 'a device': Is a directory\$/llava-verify: 'a device': not a regular file (FIFO, socket or device): not read/" "$O/s.err"
run_l "$LV" check "$M/special.sha256"
verdict "check: FIFO and device are not read (intentional difference)" || true

# ---------------------------------------------------------------------------
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
