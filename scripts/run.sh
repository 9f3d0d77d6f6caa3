#!/usr/bin/env bash
# `make run`: a local redis-server (AOF on, data under run/redis) and kamailio with
# cfg/omniq.cfg on loopback, in the foreground until Ctrl-C.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rundir=${OMNIQ_RUN_DIR:-$top/run}
redis_port=${OMNIQ_REDIS_PORT:-6379}
sip=${OMNIQ_SIP_LISTEN:-udp:127.0.0.1:5060}
ctl_sock=${OMNIQ_CTL_SOCK:-$rundir/kamailio_ctl}
# a unix socket path is limited to 108 bytes (104 for Kamailio's ctl): say so, not a cryptic ctl error
if [ ${#ctl_sock} -gt 100 ]; then
  echo "run.sh: the RPC socket path $ctl_sock is longer than 100 bytes; set OMNIQ_CTL_SOCK to a shorter one" >&2
  exit 2
fi
ctl="unix:$ctl_sock"
mkdir -p "$rundir/redis"
rundir=$(cd "$rundir" && pwd)   # absolute: the archive's SQLite URL names it

# Secrets of its own, made on the first start and kept (cfg/omniq.cfg's are examples anyone
# can know): the chat's and the app's token secrets, the desk's (logins survive a restart),
# the REST API key's
secrets="$rundir/secrets"
if [ ! -s "$secrets" ]; then
  rnd() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
  (umask 077; printf 'site=%s\napp=%s\ndesk=%s\nkey=%s\n' "$(rnd)" "$(rnd)" "$(rnd)" "$(rnd)" > "$secrets")
  echo "run.sh: made this run directory's secrets: $secrets"
fi
site=$(sed -n 's/^site=//p' "$secrets"); app=$(sed -n 's/^app=//p' "$secrets")
desk=$(sed -n 's/^desk=//p' "$secrets"); key=$(sed -n 's/^key=//p' "$secrets")
for v in "$site" "$app" "$desk" "$key"; do
  [ ${#v} -ge 32 ] || { echo "run.sh: $secrets is damaged (a secret shorter than 32 characters): remove it to make new ones" >&2; exit 2; }
done

if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
  echo "Redis already answers on 127.0.0.1:$redis_port: using it (set OMNIQ_REDIS_PORT for another)"
  redis_pid=""
else
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$rundir/redis" --appendonly yes \
    --save '' --daemonize no --logfile "$rundir/redis.log" \
    --loadmodule "$top/build/engine/omniq_engine.so" &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
cleanup() {
  [ -n "${kam_pid:-}" ] && kill "$kam_pid" 2>/dev/null || true
  [ -n "$redis_pid" ] && redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

cat <<EOT
omniq is starting:
  Redis     127.0.0.1:$redis_port  (data: $rundir/redis, AOF on, log: $rundir/redis.log)
  SIP       $sip
  Archive   ${OMNIQ_ARCHIVE_DB:-sqlite:///$rundir/archive.sqlite}  (ended sessions, report intervals)
  Web       http://127.0.0.1:${OMNIQ_HTTP_PORT:-8080}/        web chat demo
            http://127.0.0.1:${OMNIQ_HTTP_PORT:-8080}/desk/   agent desk (password: kamcmd ... omniq.agent_password alice <password>)
            http://127.0.0.1:${OMNIQ_HTTP_PORT:-8080}/api/v1  REST, with the header
            Authorization: Bearer local:$key   (secrets: $secrets)
  RPC       kamcmd -s $ctl omniq.stats
            kamcmd -s $ctl omniq.agent_set alice Alice "sales:8,en:5" "voice=1,chat=4"
            kamcmd -s $ctl omniq.agent_state alice available
            kamcmd -s $ctl omniq.enqueue web web:visitor1 sales
Press Ctrl-C to stop.
EOT
# the WeChat channel when an account is given (cfg/omniq.cfg, docs/admin-wechat.md)
wechat=()
[ -n "${OMNIQ_WECHAT_ACCOUNT:-}" ] && wechat=(-A "OMNIQ_WECHAT_ACCOUNT=\"$OMNIQ_WECHAT_ACCOUNT\"")
kamailio -DD -E -x tlsf -f "$top/cfg/omniq.cfg" -L "$top/build/modules:/usr/lib/x86_64-linux-gnu/kamailio/modules" \
  -A "OMNIQ_SIP_LISTEN=$sip" -A "OMNIQ_REDIS_PORT=$redis_port" -A "OMNIQ_CTL=\"$ctl\"" \
  -A "OMNIQ_HTTP_PORT=${OMNIQ_HTTP_PORT:-8080}" \
  -A "OMNIQ_SITE_SECRET=\"$site\"" -A "OMNIQ_APP_SECRET=\"$app\"" \
  -A "OMNIQ_DESK_SECRET=\"$desk\"" -A "OMNIQ_API_KEY=\"local:$key\"" \
  -A "OMNIQ_ARCHIVE_DB=\"${OMNIQ_ARCHIVE_DB:-sqlite:///$rundir/archive.sqlite}\"" \
  "${wechat[@]}" \
  -Y "$rundir" &
kam_pid=$!
wait "$kam_pid"
