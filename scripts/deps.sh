#!/usr/bin/env bash
# Installs what omniq needs on Debian bookworm, idempotently.
#   scripts/deps.sh build   - compiler, Kamailio, Redis, hiredis (make / make run)
#   scripts/deps.sh test    - the above plus what the tests drive (sipp, valgrind...)
#   scripts/deps.sh bench   - the build set plus what the benchmarks use
#   scripts/deps.sh coverage - the test set plus gcovr (make coverage)
# Only calls apt when something is missing, so a second run costs a few dpkg queries.
set -euo pipefail

want=(build-essential pkg-config bison flex kamailio kamailio-extra-modules
      redis-server redis-tools libhiredis-dev libjansson-dev libwebsockets-dev libuv1-dev libcurl4-openssl-dev libexpat1-dev dpkg-dev
      # issue 29's omniq_media; espeak-ng and sox speak its prompts (scripts/prompts.sh)
      # (libsrtp2 is built from Debian's source with OpenSSL: scripts/libsrtp.sh)
      libsrtp2-dev libssl-dev libspandsp-dev espeak-ng sox
      # the email channel's MIME parsing (modules/omniq_email, built with the others)
      libgmime-3.0-dev
      # the zones a queue's business hours are kept in (modules/omniq/oq_hours.c)
      tzdata
      # the SQL archive's database modules (modules/omniq/oq_archive.c): SQLite is what
      # make run uses, PostgreSQL the production choice
      kamailio-sqlite-modules kamailio-postgres-modules sqlite3
      # ss: make run says which program holds a port it needs
      iproute2)
case "${1:-build}" in
  test|coverage) want+=(sip-tester valgrind python3 python3-redis python3-websocket jq kamailio-lua-modules
              chromium
              # a CJK font, so Chinese in the desk and the widget renders in the screenshots
              fonts-wqy-zenhei
              # libFuzzer (tests/fuzz): clang's -fsanitize=fuzzer
              clang
              # tests/redis: luac5.1 lists the library's locals (test_library.py); the
              # locales' sources build en_US.UTF-8 for a Redis that collates (test_limits.py)
              lua5.1 locales
              # gdb: a kamailio that does not stop is shown with each process's stack
              # (procwatch.py), and a test makes a process deaf to SIGTERM (test_faults.py)
              gdb
              # tests/integration/test_wechat.py signs and encrypts callbacks as WeChat does
              python3-cryptography
              # the client libraries (clients/, tests/integration/test_clients.py): the
              # generator reads docs/openapi.yaml; the Python client is pip-installed into
              # a venv of the test's own, offline (no PyPI here: Debian's setuptools/wheel)
              python3-yaml python3-venv python3-setuptools python3-wheel
              # the SMS channel's tests: Kannel (bearerbox, smsbox) and its fakesmsc
              # (kannel-extras) as the phone network; setpriv (util-linux) ties the rig's
              # processes to the test's life
              kannel kannel-extras util-linux
              # the email channel's tests (tests/integration/mailrig.py): a real Postfix
              # (its own instance, SASL through Dovecot's auth) and a real Dovecot (IMAP,
              # LMTP) as the mail servers; openssl makes the rig's self-signed certificate.
              # Installed with no system service started (see policy-rc.d below)
              postfix dovecot-imapd dovecot-lmtpd openssl
              # omniq_ws' /metrics checked by Prometheus' own promtool (its server is
              # installed with it, never started: see policy-rc.d below)
              prometheus
              # a real softphone as an agent's phone (tests/integration/test_softphone.py)
              baresip-core
              # the SQL archive's tests on PostgreSQL (tests/integration/pgrig.py: a server
              # of the test's own; the system's is installed, never started)
              postgresql)
        # node + npm for the browser tests (playwright-core); a node from elsewhere
        # (e.g. nodesource, which bundles npm) is fine and must not be replaced
        command -v node >/dev/null 2>&1 || want+=(nodejs)
        command -v npm >/dev/null 2>&1 || want+=(npm)
        [ "$1" = coverage ] && want+=(gcovr) ;;
  # bench/sip and bench/media drive sipp; bench/media compares Debian's rtpengine
  bench) want+=(bc python3 python3-redis sip-tester rtpengine-daemon) ;;
  build) ;;
  *) echo "usage: $0 build|test|bench|coverage" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# deb-src for the Debian suites already configured, so `apt-get source kamailio` works.
src=/etc/apt/sources.list.d/omniq-deb-src.sources
need_update=0
# (the .list form where the machine's sources are /etc/apt/sources.list: an mmdebstrap base)
if [ ! -f "$src" ] && [ ! -f /etc/apt/sources.list.d/omniq-deb-src.list ]; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      | $SUDO tee "$src" >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
      | $SUDO tee /etc/apt/sources.list.d/omniq-deb-src.list >/dev/null
    src=/etc/apt/sources.list.d/omniq-deb-src.list
  fi
  need_update=1
fi

if ((${#missing[@]})) || ((need_update)); then
  echo "deps: installing ${missing[*]:-(deb-src index only)}" >&2
  echo "deps: apt-get update" >&2
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  if ((${#missing[@]})); then
    # Postfix's debconf question, answered: no system configuration (no /etc/postfix/main.cf;
    # the tests write their own), so the install asks nothing
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    $SUDO "$(dirname "$0")/apt-install.sh" "${missing[@]}"
  fi
fi
# playwright-core for the browser tests, typescript for the client's declarations and
# swagger-parser for docs/openapi.yaml (tests/integration/test_clients.py), at the versions
# tests/e2e/package-lock.json pins
e2e="$(dirname "$0")/../tests/e2e/node_modules"
if [[ "${1:-build}" = test || "${1:-build}" = coverage ]] && { [ ! -d "$e2e/playwright-core" ] \
    || [ ! -d "$e2e/typescript" ] || [ ! -d "$e2e/@apidevtools/swagger-parser" ]; }; then
  (cd "$(dirname "$0")/../tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
exit 0
