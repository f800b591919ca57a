#!/usr/bin/env bash
# Installs what llava-verify needs to build and test on Debian 12, with apt-get.
# Idempotent: quiet and quick when everything is already there.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libssl-dev libcurl4-openssl-dev libsimdjson-dev
  libzip-dev zipcmp zipmerge ziptool   # libzip's CMake config needs the three programs
  libdeflate-dev zlib1g-dev             # fast CRC-32 and inflate for zip entries
  libjpeg62-turbo-dev libwebp-dev       # --deep=decode: the decoders Pillow links
  libspdlog-dev libfmt-dev doctest-dev libcli11-dev
  zip unzip time coreutils python3
  python3-pil                           # PIL's verdicts on images (compat_deep_pil.sh)
  nginx openssl                         # the loopback servers of the fetch tests
  chromium fonts-liberation             # renders report.html in the audit test
  clang libclang-rt-14-dev              # libFuzzer and sanitizer runtimes (fuzz/run.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
