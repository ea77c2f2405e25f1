#!/usr/bin/env bash
# Installs the programs the integration tests drive: initiators and NBD servers nobody here wrote.
#   libiscsi-bin      iscsi-ls, iscsi-inq, iscsi-readcapacity16, iscsi-test-cu (libiscsi's initiator tools)
#   qemu-utils        qemu-img and qemu-io, which speak iscsi:// URLs ...
#   qemu-block-extra  ... through QEMU's iSCSI block driver, packaged separately
#   qemu-system-x86   the VM that runs the Linux kernel initiator (open-iscsi) against the server
#   sg3-utils         sg_* SCSI command tools
#   nbdkit            an NBD server nobody here wrote (its memory plugin): a LUN on it must serve a full
#                     write/read-verify run, and our NBD client is checked against its filters (block size limits,
#                     no FUA, no WRITE_ZEROES); qemu-nbd, the third NBD server the tests use, comes with qemu-utils
#   nbd-server        the NBD reference server, likewise holding a LUN's data in the tests
#   fio               its nbd engine (libnbd) writes and verifies data through our own NBD peer server
# Idempotent: when everything is installed it does nothing. As root it installs what is missing (apt-get update
# once, then apt-get install); otherwise it says what is missing and carries on, so the unit tests still run.
set -euo pipefail

readonly PACKAGES=(libiscsi-bin qemu-utils qemu-block-extra qemu-system-x86 sg3-utils nbdkit nbd-server fio)

say() {
  echo "install-test-deps: $*" >&2
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  say "not a Debian-based system; install the equivalents of ${PACKAGES[*]} yourself"
  exit 0
fi

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if ((EUID != 0)); then
  say "missing ${missing[*]}; not root, so not installing them (run: sudo $0)."
  say "Tests that drive those tools cannot pass without them."
  exit 0
fi

say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Wait for a dpkg lock held by, for example, unattended upgrades instead of failing at once.
apt-get -o DPkg::Lock::Timeout=300 update -q
apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
