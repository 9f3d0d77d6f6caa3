#!/usr/bin/env bash
# `make run`: a local redis-server (AOF on, data under run/redis) and kamailio with
# cfg/omniq.cfg on loopback, in the foreground until Ctrl-C. Every OMNIQ_* variable it
# reads is in docs/first-hour.md, "make run's settings".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rundir=${OMNIQ_RUN_DIR:-$top/run}
mkdir -p "$rundir/redis"
rundir=$(cd "$rundir" && pwd)   # absolute: the commands it prints work from anywhere
redis_port=${OMNIQ_REDIS_PORT:-6379}
sip=${OMNIQ_SIP_LISTEN:-udp:127.0.0.1:5060}
ctl_sock=${OMNIQ_CTL_SOCK:-$rundir/kamailio_ctl}
ctl_sock=$(realpath -m "$ctl_sock")   # absolute, like every path it prints
# a unix socket path is limited to 108 bytes (104 for Kamailio's ctl): say so, not a cryptic ctl error
if [ ${#ctl_sock} -gt 100 ]; then
  echo "run.sh: the RPC socket path $ctl_sock is longer than 100 bytes; set OMNIQ_CTL_SOCK to a shorter one" >&2
  exit 2
fi
ctl="unix:$ctl_sock"

# The cfg kamailio runs: cfg/omniq.cfg, or an admin's own (OMNIQ_CFG, e.g. one that
# include_files cfg/omniq.cfg and adds modules and settings); and modules of one's own,
# loaded after it with their default settings (OMNIQ_MODULES: .so paths, space-separated).
cfg=${OMNIQ_CFG:-$top/cfg/omniq.cfg}
if [ ! -f "$cfg" ]; then
  echo "run.sh: OMNIQ_CFG=$cfg: no such file" >&2
  exit 2
fi
cfg=$(realpath "$cfg")
modules=()
for m in ${OMNIQ_MODULES:-}; do
  if [ ! -f "$m" ]; then
    echo "run.sh: OMNIQ_MODULES: $m is no file (give each module's .so file, space-separated)" >&2
    exit 2
  fi
  modules+=("$(realpath "$m")")
done
run_cfg=$cfg
rm -f "$rundir/omniq-run.cfg"
if [ ${#modules[@]} -gt 0 ]; then
  # kamailio loads modules only from a cfg: a cfg of this start's own reads the cfg, then
  # loads them (an included file's path is limited to 127 bytes in Kamailio)
  if [ ${#cfg} -gt 127 ] || [[ $cfg == *'"'* ]]; then
    echo "run.sh: OMNIQ_MODULES: the cfg path $cfg is longer than 127 bytes or holds" \
      "a '\"': move it" >&2
    exit 2
  fi
  run_cfg="$rundir/omniq-run.cfg"
  {
    echo "#!KAMAILIO"
    echo "# made by scripts/run.sh for this start (OMNIQ_MODULES): the cfg, then each module"
    echo "include_file \"$cfg\""
    for m in "${modules[@]}"; do echo "loadmodule \"$m\""; done
  } > "$run_cfg"
fi
# the shorter form, scripts/kamcmd, finds the socket by itself where make run put it
short=""
[ -z "${OMNIQ_CTL_SOCK:-}" ] && [ -z "${OMNIQ_RUN_DIR:-}" ] && short="$top/scripts/kamcmd"

# A port another program holds: say which, held by what, and which variable moves it,
# rather than a kamailio that stops with a bind error in its log.
taken_by() {   # proto port -> "name (pid N)" of its holder, or nothing
  ss -Hlnp"$([ "$1" = udp ] && echo u || echo t)" "sport = :$2" 2>/dev/null \
    | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -1
}
port_free() {  # proto port variable example
  local who
  who=$(taken_by "$1" "$2")
  if [ -n "$who" ] || { [ "$1" = tcp ] && (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; }; then
    echo "run.sh: $1 port $2 is taken${who:+ by $who}: stop that, or set $3 (e.g. $3=$4)" >&2
    exit 2
  fi
}
sip_proto=${sip%%:*}; sip_port=${sip##*:}
port_free "$sip_proto" "$sip_port" OMNIQ_SIP_LISTEN "$sip_proto:127.0.0.1:$((sip_port + 10))"
http_port=${OMNIQ_HTTP_PORT:-8080}
port_free tcp "$http_port" OMNIQ_HTTP_PORT "$((http_port + 1))"

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
  # another Redis: usable only with omniq's engine loaded; its data and settings are its own
  if ! redis-cli -p "$redis_port" MODULE LIST 2>/dev/null | grep -qx omniq; then
    holder=$(taken_by tcp "$redis_port")
    echo "run.sh: a Redis already answers on 127.0.0.1:$redis_port${holder:+ ($holder)} without omniq's engine loaded: stop it, or set OMNIQ_REDIS_PORT to a free port (make run starts its own there)" >&2
    exit 2
  fi
  redis_note="already running, not started by make run: its own data, persistence and log"
  redis_pid=""
else
  redis_note="started here: data $rundir/redis, AOF on, log $rundir/redis.log"
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

# queued callers hear omniq_media's prompts (docs/admin-media.md): make prompts' spoken ones
# in OMNIQ_MEDIA_LANGUAGE, or a directory of one's own; OMNIQ_MEDIA_PROMPTS= (empty) leaves
# omniq_media out (callers hear their ringback)
media=()
lang=${OMNIQ_MEDIA_LANGUAGE:-zh}
prompts=${OMNIQ_MEDIA_PROMPTS-$top/build/prompts/$lang}
if [ -z "${OMNIQ_MEDIA_PROMPTS+set}" ] && [ ! -f "$prompts/greeting.wav" ]; then
  # the default ones, made here when run.sh runs without make run (which makes them first)
  "$top/scripts/prompts.sh" "$top/build/prompts" >&2
fi
if [ -n "$prompts" ]; then
  if [ ! -f "$prompts/greeting.wav" ]; then
    echo "run.sh: OMNIQ_MEDIA_PROMPTS=$prompts holds no greeting.wav (make prompts makes" \
      "build/prompts/zh and en; OMNIQ_MEDIA_PROMPTS= runs without omniq_media)" >&2
    exit 2
  fi
  media=(-A "OMNIQ_MEDIA_PROMPTS=\"$(realpath "$prompts")\"" -A "OMNIQ_MEDIA_LANGUAGE=\"$lang\"")
fi
cat <<EOT
omniq is starting:
  Cfg       $cfg
${modules[0]:+  Modules   ${modules[*]}  (OMNIQ_MODULES)
}  Redis     127.0.0.1:$redis_port  ($redis_note)
  SIP       $sip${media[0]:+  (queued callers hear the $lang prompts of $prompts)}
  Archive   ${OMNIQ_ARCHIVE_DB:-sqlite:///$rundir/archive.sqlite}  (ended sessions, report intervals)
  Web       http://127.0.0.1:${OMNIQ_HTTP_PORT:-8080}/        web chat demo
            http://127.0.0.1:${OMNIQ_HTTP_PORT:-8080}/desk/   agent desk (password: kamcmd ... omniq.agent_password alice <password>)
            http://127.0.0.1:${OMNIQ_HTTP_PORT:-8080}/api/v1  REST, with the header
            Authorization: Bearer local:$key   (secrets: $secrets)
  RPC       kamcmd -s $ctl omniq.stats
            kamcmd -s $ctl omniq.agent_set alice Alice "sales:8,en:5" "voice=1,chat=4"
            kamcmd -s $ctl omniq.agent_state alice available
            kamcmd -s $ctl omniq.enqueue web web:visitor1 sales
${short:+            $short omniq.stats   (the same, from any directory)
}Press Ctrl-C to stop.
EOT
# the WeChat channel when an account is given (cfg/omniq.cfg, docs/admin-wechat.md)
wechat=()
[ -n "${OMNIQ_WECHAT_ACCOUNT:-}" ] && wechat=(-A "OMNIQ_WECHAT_ACCOUNT=\"$OMNIQ_WECHAT_ACCOUNT\"")
# in a session of its own: Ctrl-C reaches this script alone, whose trap stops kamailio with one
# SIGTERM to its main process, which stops its children in order (a SIGINT to every process
# at once ends children in the middle of what they hold; docs/admin.md, "Stopping kamailio")
setsid kamailio -DD -E -x tlsf -f "$run_cfg" -L "$top/build/modules:/usr/lib/x86_64-linux-gnu/kamailio/modules" \
  -A "OMNIQ_SIP_LISTEN=$sip" -A "OMNIQ_REDIS_PORT=$redis_port" -A "OMNIQ_CTL=\"$ctl\"" \
  -A "OMNIQ_HTTP_PORT=${OMNIQ_HTTP_PORT:-8080}" \
  -A "OMNIQ_SITE_SECRET=\"$site\"" -A "OMNIQ_APP_SECRET=\"$app\"" \
  -A "OMNIQ_DESK_SECRET=\"$desk\"" -A "OMNIQ_API_KEY=\"local:$key\"" \
  -A "OMNIQ_ARCHIVE_DB=\"${OMNIQ_ARCHIVE_DB:-sqlite:///$rundir/archive.sqlite}\"" \
  "${wechat[@]}" "${media[@]}" \
  -Y "$rundir" &
kam_pid=$!
wait "$kam_pid"
