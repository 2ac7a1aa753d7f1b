#!/usr/bin/env bash
# The system packages `make demo` and `make test` need, in one place (.ci/run uses it too).
#
#   scripts/deps.sh demo   what the build and the loopback demo need
#   scripts/deps.sh test   that, and what the test suites need
#
# Installs only what is missing: with apt-get when run as root, otherwise it stops with the one
# command to run. A second run with everything present only asks dpkg and exits.
set -euo pipefail

# The build: libpcap and libnet headers (the L4 strategies' system libraries), and a C compiler
# for Swift's C modules. pkg-config finds libpcap for SwiftPM.
demo_packages=(libpcap-dev libnet1-dev pkg-config gcc libc6-dev make)
# The tests: gcc again for the C plugin fixtures; iproute2 builds the network namespaces of the
# lab (examples/lab/lab.sh); ethtool turns TX checksum offload off on its links; nftables cuts the
# lab link in the partition test; curl fetches through the VIP; python3 runs the lab's helpers;
# wrk loads the cluster under the policy swaps and the failovers.
test_packages=(iproute2 ethtool nftables python3 curl wrk netsniff-ng)

purpose=${1:-}
case "$purpose" in
    demo) wanted=("${demo_packages[@]}") ;;
    test) wanted=("${demo_packages[@]}" "${test_packages[@]}") ;;
    *)
        echo "usage: scripts/deps.sh demo|test (what make demo or make test needs)" >&2
        exit 2
        ;;
esac

if ! command -v swift >/dev/null 2>&1; then
    echo "scripts/deps.sh: no swift on PATH: install Swift 6.3 (swift.org/install) and run make $purpose again" >&2
    exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "scripts/deps.sh: this is not a Debian-like system; install the equivalents of: ${wanted[*]}" >&2
    exit 1
fi

missing=()
for package in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "make $purpose needs packages that are not installed; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "scripts/deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh them once, before the install.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
