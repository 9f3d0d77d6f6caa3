#!/usr/bin/env bash
# apt-get install of the packages given, as scripts/deps.sh installs what omniq needs: no
# service of theirs starts while they install, a line per package shows it moving, and the
# services they bring are turned off afterwards (scripts/services.sh), said in one line.
# Run as root. Exits with apt-get's status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: $0 package..." >&2; exit 2; }
# A package's maintainer scripts start its service through invoke-rc.d (and
# deb-systemd-invoke), which ask /usr/sbin/policy-rc.d first: exit 101 is "forbidden".
# Without it a stock Postfix on port 25 and a Dovecot on 143 would be left running. One
# that is already there (a container's) is left as it is; ours goes once the install is
# over, failed or not.
rcd=/usr/sbin/policy-rc.d made_rcd=0
before=$(mktemp)
trap 'rm -f "$before"; if ((made_rcd)); then rm -f "$rcd"; fi' EXIT
trap 'exit 130' INT TERM HUP
if [ ! -e "$rcd" ]; then
  printf '#!/bin/sh\n# scripts/apt-install.sh: no service starts while it installs\nexit 101\n' \
    | tee "$rcd" >/dev/null
  chmod 755 "$rcd"
  made_rcd=1
fi
# the services the machine has now: those the packages bring are disabled after
"$here/services.sh" snapshot "$before"
echo "deps: installing $# package(s) and what they need (this can take minutes):" >&2
# a line per package as it is fetched, unpacked and set up: it is moving. Another apt
# (a fresh machine's unattended-upgrades) holding the dpkg lock is waited for, not failed on.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  -o DPkg::Lock::Timeout=600 "$@" 2>&1 \
  | sed -un -e 's/^Get:[0-9]* [^ ]* [^ ]* [^ ]* \([^ ]*\).*/deps:   fetching \1/p' \
      -e 's/^\(Unpacking\|Setting up\) \([^ ]*\).*/deps:   \1 \2/p' \
      -e 's/^\(Waiting for cache lock\).*/deps:   \1 (another apt-get or dpkg runs)/p' \
      -e 's/^E: \(.*\)/deps: apt-get: \1/p' >&2
if ((made_rcd)); then
  rm -f "$rcd"
  made_rcd=0
fi
quieted=$("$here/services.sh" quiet "$before")
[ -z "$quieted" ] || echo "deps: the packages' own services are off (not running, not started at boot): $quieted; omniq runs its own instances. \`systemctl enable --now <name>\` brings one back" >&2
