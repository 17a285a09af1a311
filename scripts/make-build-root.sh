#!/usr/bin/env bash
# The build root of the shipped prebuilds (scripts/prebuild.mjs): Debian 11 "bullseye" (gcc 10,
# glibc 2.31) with cmake and the aarch64 cross compiler, from Debian's archive with debootstrap.
# Needs root and the network; a few minutes, about 600 MB.
#   bash scripts/make-build-root.sh [DIR]      (default: $KD_BUILD_ROOT or /var/tmp/kd-bullseye)
set -euo pipefail
dir=${1:-${KD_BUILD_ROOT:-/var/tmp/kd-bullseye}}
if [ -x "$dir/usr/bin/aarch64-linux-gnu-g++" ]; then echo "build root: $dir (already there)"; exit 0; fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
rm -rf "$dir"
debootstrap --variant=minbase --include=g++,cmake,make,g++-aarch64-linux-gnu bullseye "$dir" http://deb.debian.org/debian >/dev/null
echo "build root: $dir ($(chroot "$dir" g++ --version | head -1), $(chroot "$dir" ldd --version | head -1))"
