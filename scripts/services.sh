#!/usr/bin/env bash
# The system services that installing packages enabled or started: Debian's kamailio,
# redis-server, postfix, dovecot, postgresql... each come as a service listening on the
# network (a stock kamailio.cfg on every interface, a Redis on 6379) that nobody asked for;
# omniq runs its own instances on its own ports. scripts/deps.sh takes a snapshot before it
# installs, and afterwards disables (and stops, when systemd runs) every service that was
# not there before - never one the machine had already.
#   services.sh snapshot FILE   the services enabled or running now, into FILE
#   services.sh quiet FILE      disable and stop those not in FILE; print their names
set -euo pipefail

now() {
  {
    if command -v systemctl >/dev/null 2>&1; then
      systemctl list-unit-files --type=service --state=enabled --no-legend 2>/dev/null \
        | awk '{print $1}'
      if [ -d /run/systemd/system ]; then
        systemctl list-units --type=service --state=running --no-legend --plain 2>/dev/null \
          | awk '{print $1}'
      fi
    fi
    # SysV start links (a machine, or a container, without systemd)
    for l in /etc/rc[2-5].d/S*; do
      if [ -e "$l" ]; then echo "sysv:$(basename "$l" | sed 's/^S[0-9]*//')"; fi
    done
  } | sort -u
}

case "${1:-}" in
  snapshot)
    now > "$2" ;;
  quiet)
    done_=()
    for s in $(now | comm -13 "$2" -); do
      if [[ $s == sysv:* ]]; then
        name=${s#sysv:}
        update-rc.d "$name" disable >/dev/null 2>&1 || true
        if [ ! -d /run/systemd/system ] && command -v service >/dev/null 2>&1; then
          service "$name" stop >/dev/null 2>&1 || true
        fi
      else
        name=${s%.service}
        if [ -d /run/systemd/system ]; then
          systemctl disable --now "$s" >/dev/null 2>&1 || true
        else
          systemctl disable "$s" >/dev/null 2>&1 || true
        fi
      fi
      [[ " ${done_[*]:-} " == *" $name "* ]] || done_+=("$name")
    done
    [ ${#done_[@]} -eq 0 ] || echo "${done_[*]}" ;;
  *)
    echo "usage: $0 snapshot FILE | quiet FILE" >&2
    exit 2 ;;
esac
