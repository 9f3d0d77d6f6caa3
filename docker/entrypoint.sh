#!/bin/sh
# The image's entry point (docker/Dockerfile; docs/admin.md, "The container image"):
#   kamailio   a node: cfg/omniq.cfg with its settings and secrets from the environment
#   redis      Redis with the omniq engine, AOF on, data in /data
#   health     the health check of the role this container runs (the role is noted in
#              /var/lib/omniq/role as it starts): the node's RPC, or Redis' PING
set -eu
role=${1:-kamailio}
need() {   # name what: refuse to start without it
  eval "v=\${$1:-}"
  if [ -z "$v" ]; then
    echo "omniq: set $1 ($2): the image has no example secrets" >&2
    exit 2
  fi
}
# the RPC socket outside /run: what a later `docker exec` or `buildah run` sees of /run may be
# a tmpfs of its own
ctl=${OMNIQ_CTL_SOCK:-/var/lib/omniq/kamailio_ctl}
note() { mkdir -p /var/lib/omniq && echo "$1" > /var/lib/omniq/role; }
case "$role" in
  redis)
    note redis
    exec redis-server --bind "${OMNIQ_REDIS_BIND:-0.0.0.0}" --port "${OMNIQ_REDIS_PORT:-6379}" \
      --protected-mode no --appendonly yes --appendfsync everysec \
      --dir "${OMNIQ_REDIS_DIR:-/data}" --loadmodule /usr/lib/omniq/omniq_engine.so ;;
  health)
    case "$(cat /var/lib/omniq/role 2>/dev/null)" in
      kamailio) [ -S "$ctl" ] && exec kamcmd -s "unix:$ctl" core.version >/dev/null ;;
      redis) [ "$(redis-cli -p "${OMNIQ_REDIS_PORT:-6379}" ping 2>/dev/null)" = PONG ] && exit 0 ;;
    esac
    exit 1 ;;
  kamailio)
    need OMNIQ_SITE_SECRET "the web chat's token secret, 16 characters at least"
    need OMNIQ_APP_SECRET "the app channel's token secret"
    need OMNIQ_DESK_SECRET "the agent desk's session secret"
    need OMNIQ_API_KEY "the REST API key, <name>:<secret>"
    kmods=$(ls -d /usr/lib/*/kamailio/modules | head -1)
    set -- -DD -E -x tlsf -m "${OMNIQ_SHM_MB:-256}" -M "${OMNIQ_PKG_MB:-16}" \
      -L "/usr/lib/omniq/modules:$kmods" -f /etc/omniq/omniq.cfg \
      -A "OMNIQ_REDIS_HOST=\"${OMNIQ_REDIS_HOST:-redis}\"" \
      -A "OMNIQ_REDIS_PORT=${OMNIQ_REDIS_PORT:-6379}" \
      -A "OMNIQ_SIP_LISTEN=${OMNIQ_SIP_LISTEN:-udp:0.0.0.0:5060}" \
      -A "OMNIQ_SIP_LISTEN_TCP=${OMNIQ_SIP_LISTEN_TCP:-tcp:0.0.0.0:5060}" \
      -A "OMNIQ_WS_LISTEN=\"${OMNIQ_WS_LISTEN:-0.0.0.0}\"" \
      -A "OMNIQ_HTTP_PORT=${OMNIQ_HTTP_PORT:-8080}" \
      -A "OMNIQ_CTL=\"unix:$ctl\"" \
      -A "OMNIQ_SITE_SECRET=\"$OMNIQ_SITE_SECRET\"" -A "OMNIQ_APP_SECRET=\"$OMNIQ_APP_SECRET\"" \
      -A "OMNIQ_DESK_SECRET=\"$OMNIQ_DESK_SECRET\"" -A "OMNIQ_API_KEY=\"$OMNIQ_API_KEY\""
    if [ -n "${OMNIQ_DMQ_PEER:-}" ]; then
      need OMNIQ_DMQ_SELF "this node's SIP address for the other nodes, sip:<host>:<port>"
      set -- "$@" -A "OMNIQ_DMQ_SELF=\"$OMNIQ_DMQ_SELF\"" -A "OMNIQ_DMQ_PEER=\"$OMNIQ_DMQ_PEER\""
    fi
    # queued callers hear the prompts of OMNIQ_MEDIA_LANGUAGE (omniq_media); empty
    # OMNIQ_MEDIA_PROMPTS: not loaded (callers hear their ringback)
    prompts=${OMNIQ_MEDIA_PROMPTS-/usr/share/omniq/prompts/${OMNIQ_MEDIA_LANGUAGE:-zh}}
    if [ -n "$prompts" ]; then
      set -- "$@" -A "OMNIQ_MEDIA_PROMPTS=\"$prompts\"" \
        -A "OMNIQ_MEDIA_LANGUAGE=\"${OMNIQ_MEDIA_LANGUAGE:-zh}\"" \
        -A "OMNIQ_MEDIA_PORT_MIN=${OMNIQ_MEDIA_PORT_MIN:-30000}" \
        -A "OMNIQ_MEDIA_PORT_MAX=${OMNIQ_MEDIA_PORT_MAX:-30999}"
    fi
    if [ -n "${OMNIQ_ARCHIVE_DB:-}" ]; then
      set -- "$@" -A "OMNIQ_ARCHIVE_DB=\"$OMNIQ_ARCHIVE_DB\"" \
        -A "OMNIQ_ARCHIVE_MODULE=\"${OMNIQ_ARCHIVE_MODULE:-db_sqlite.so}\""
    fi
    mkdir -p "$(dirname "$ctl")"
    note kamailio
    exec kamailio "$@" ;;
  *)
    exec "$@" ;;
esac
