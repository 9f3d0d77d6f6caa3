#!/usr/bin/env bash
# bench/media: CPU per SRTP announcement packet, omniq_media's path against raw libsrtp in
# the same run (media_bench.c says what each side does), for libsrtp2 builds side by side
# (FINDINGS.md says why):
#   debian-nss   Debian's libsrtp2 as it is (NSS backend; libsrtp's NSS_InitContext asks
#                for NSS_INIT_OPTIMIZESPACE: the softoken's 32-bucket hash tables)
#   nss-1024     the same library, NSS initialised first without OPTIMIZESPACE (media_bench -N)
#   openssl      libsrtp2 from Debian's source with --enable-openssl (scripts/libsrtp.sh, under
#                .cache/media-srtp; skipped with a reason when it cannot be built)
#   builtin      the same without any crypto library (libsrtp's own AES/SHA-1, no GCM);
#                only when MEDIA_VARIANTS names it
# and the streams of the largest size spread over processes (debian-nss, MEDIA_PROCS).
#   MEDIA_SIZES="1 100 500 1000 2000"  streams in one process
#   MEDIA_PACKETS=20000                packets per side and round (ticks = packets / streams)
#   MEDIA_VARIANTS="debian-nss nss-1024 openssl"
#   MEDIA_PROCS="4 20"                 processes for the largest size (empty: none)
#   MEDIA_STREAMS=2000 MEDIA_WINDOW=5  the end-to-end part (streams.py)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build/bench/media"
sizes=${MEDIA_SIZES:-1 100 500 1000 2000}
packets=${MEDIA_PACKETS:-20000}
variants=${MEDIA_VARIANTS:-debian-nss nss-1024 openssl}
procs=${MEDIA_PROCS-4 20}
make -s -C "$here" BUILD="$build"

# the variants this machine can run: label, then the command
declare -A cmd
run=()
for v in $variants; do
  case "$v" in
    debian-nss) cmd[$v]="$build/media_bench" ;;
    nss-1024)
      if "$build/media_bench" -N -r 1 1 >/dev/null 2>&1; then cmd[$v]="$build/media_bench -N"
      else echo "nss-1024: skipped (media_bench built without NSS's headers: libnss3-dev)"; continue; fi ;;
    openssl|builtin)
      [ -f "$here/../../.cache/media-srtp/$v/.stamp" ] \
        || echo "$v: building libsrtp2 from Debian's source into .cache/media-srtp (once, ~1 min)"
      if ! "$here/../../scripts/libsrtp.sh" "$v" >/dev/null 2>"$build/$v.why"; then
        echo "$v: skipped, libsrtp2 could not be built: $(tail -1 "$build/$v.why")"; continue
      fi
      if ! make -s -C "$here" BUILD="$build" "$build/media_bench_$v" >"$build/$v.why" 2>&1; then
        echo "$v: skipped, media_bench_$v did not link: $(tail -1 "$build/$v.why")"; continue
      fi
      cmd[$v]="$build/media_bench_$v" ;;
    *) echo "MEDIA_VARIANTS: no variant $v (debian-nss nss-1024 openssl builtin)"; continue ;;
  esac
  run+=("$v")
done

# the same bytes from every build: one packet per suite under a fixed key (media_bench -v)
if [ -n "${cmd[debian-nss]:-}" ]; then
  ref=$(${cmd[debian-nss]} -v)
  for v in "${run[@]}"; do
    [ "$v" = debian-nss ] && continue
    same=yes
    while read -r _ suite hex; do
      [ "$hex" = - ] && continue # a suite the build lacks
      grep -qx "VEC $suite $hex" <<<"$ref" || same=NO
    done < <(${cmd[$v]} -v)
    echo "$v: packets byte for byte as debian-nss's: $same"
  done
fi

rows="$build/rows.txt"
: >"$rows"
largest=0
for n in $sizes; do
  [ "$n" -gt "$largest" ] && largest=$n
  ticks=$(( (packets + n - 1) / n ))
  for v in "${run[@]}"; do # interleaved by size: the machine's noise falls on every variant
    ${cmd[$v]} -r -l "$v" "$n" "$ticks" >>"$rows" || echo "$v at $n streams: failed"
  done
done
if [ -n "${cmd[debian-nss]:-}" ]; then
  for k in $procs; do
    ticks=$(( (packets * k + largest - 1) / largest ))
    ${cmd[debian-nss]} -r -l debian-nss -p "$k" "$largest" "$ticks" >>"$rows" \
      || echo "debian-nss over $k processes: failed"
  done
fi

awk -v variants="${run[*]}" -v largest="$largest" -v sizes="$sizes" -v procs="$procs" '
$1 == "ROW" { key = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5; o[key] = $6; r[key] = $7; c[key] = $8; d[key] = $9
              if (!($5 in seen)) { seen[$5] = 1; suites[++ns] = $5 } }
function cell(v, p, n, s,   k) { k = v SUBSEP p SUBSEP n SUBSEP s
  if (!(k in o)) return "failed"; if (o[k] == "-") return "-"
  return sprintf("%d (%d)", o[k], r[k]) }
END {
  nv = split(variants, V, " "); nz = split(sizes, Z, " ")
  printf "debian-nss: Debian'"'"'s libsrtp2 (NSS) as it is; nss-1024: the same, NSS initialised first without OPTIMIZESPACE;\n"
  printf "openssl / builtin: libsrtp2 from Debian'"'"'s source with OpenSSL / no crypto library (scripts/libsrtp.sh). FINDINGS.md says why\n"
  printf "CPU ns per packet: omniq path (raw srtp_protect), best of 3 rounds; one process\n"
  for (i = 1; i <= ns; i++) {
    s = suites[i]; printf "%s\n%-8s", s, "streams"
    for (j = 1; j <= nv; j++) printf " %18s", V[j]; printf "\n"
    for (z = 1; z <= nz; z++) { printf "%-8s", Z[z]
      for (j = 1; j <= nv; j++) printf " %18s", cell(V[j], 1, Z[z], s); printf "\n" }
    printf "%-8s", "cores*"
    for (j = 1; j <= nv; j++) { k = V[j] SUBSEP 1 SUBSEP largest SUBSEP s
      printf " %18s", (k in o && o[k] != "-") ? sprintf("%.2f", o[k] * largest * 50 / 1e9) : "-" }
    printf "\n%-8s", "cr/fr us"
    for (j = 1; j <= nv; j++) { k = V[j] SUBSEP 1 SUBSEP largest SUBSEP s
      printf " %18s", (k in o && o[k] != "-") ? sprintf("%s/%s", c[k], d[k]) : "-" }
    printf "\n"
  }
  printf "cores*: CPU for %d streams (%d packets/s) in one process, omniq path; target <= 1.00\n", largest, largest * 50
  printf "cr/fr us: CPU to create / free one libsrtp context while %d streams are held\n", largest
  np = split(procs, P, " "); hdr = 0
  for (i = 1; i <= ns; i++) { s = suites[i]
    for (q = 0; q <= np; q++) { p = q ? P[q] : 1; key = "debian-nss" SUBSEP p SUBSEP largest SUBSEP s
      if (!(key in o) || o[key] == "-") continue
      if (!hdr++) printf "debian-nss, %d streams over k processes at once: CPU ns per packet over all of them, cores for %d packets/s\n", largest, largest * 50
      printf "  %-24s k=%-3d %6d/proc %18s  %5.2f cores\n", s, p, largest / p, cell("debian-nss", p, largest, s), o[key] * largest * 50 / 1e9 } }
}' "$rows"

# end to end: omniq_media's media process sending 2,000 SRTP streams through real sockets
# (kamailio, sipp's calls waiting in a queue), against floor_send.c in the same run
echo "== media processes, end to end (streams.py): omniq_media against floor_send, same run"
if make -s -C "$here" BUILD="$build" "$build/floor_send" >"$build/floor.why" 2>&1; then
  /usr/bin/python3 "$here/streams.py" "${MEDIA_STREAMS:-2000}" "${MEDIA_WINDOW:-5}" \
    || echo "streams.py: failed"
else
  echo "floor_send: skipped, it did not build: $(tail -1 "$build/floor.why")"
fi

# the same work by Debian's rtpengine (userspace), playing a prompt to as many SRTP callers
echo "== rtpengine playing the music to the same number of SRTP callers (rtpengine.py)"
/usr/bin/python3 "$here/rtpengine.py" "${MEDIA_STREAMS:-2000}" "${MEDIA_WINDOW:-5}" \
  || echo "rtpengine.py: failed"
