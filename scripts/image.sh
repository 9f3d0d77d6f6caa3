#!/usr/bin/env bash
# The container image without a daemon (docs/admin.md, "The container image"):
#   scripts/image.sh build   make image: a local bookworm base from mmdebstrap (made once,
#                            kept in .cache/image), then docker/Dockerfile built with buildah;
#                            checks every built file's libraries inside it, prints its size
#   scripts/image.sh test    make test-image: build, then tests/image/test_image.py starts
#                            Redis and two nodes from it with `buildah run` and runs the
#                            quick-start smoke; ends with "N passed, N failed"
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${CACHE:-$top/.cache}/image
image=${OMNIQ_IMAGE:-localhost/omniq:latest}
base=localhost/omniq-base:bookworm
B=(buildah --storage-driver vfs)

want=()
for p in buildah mmdebstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || want+=("$p")
done
if ((${#want[@]})); then
  apt-get update -qq
  "$top/scripts/apt-install.sh" "${want[@]}"
fi

build() {
  mkdir -p "$cache"
  if ! "${B[@]}" inspect --type image "$base" >/dev/null 2>&1; then
    if [ ! -s "$cache/bookworm.tar" ]; then
      echo "image: a Debian bookworm base with mmdebstrap (once: $cache/bookworm.tar)"
      mmdebstrap --variant=minbase --include=ca-certificates bookworm "$cache/bookworm.tar.tmp"
      mv "$cache/bookworm.tar.tmp" "$cache/bookworm.tar"
    fi
    c=$("${B[@]}" from scratch)
    "${B[@]}" add "$c" "$cache/bookworm.tar" / >/dev/null
    "${B[@]}" commit -q "$c" "$base" >/dev/null
    "${B[@]}" rm "$c" >/dev/null
  fi
  echo "image: building $image from docker/Dockerfile (buildah, chroot isolation)"
  "${B[@]}" bud --pull=never --isolation chroot --format docker --layers \
    --build-arg "BASE=$base" -f "$top/docker/Dockerfile" -t "$image" "$top" \
    | grep -E '^(STEP|COMMIT|Successfully|Error)' || true
  "${B[@]}" inspect --type image "$image" >/dev/null
  # inside the image: every built file finds every library; no build tools
  c=$("${B[@]}" from "$image")
  trap '"${B[@]}" rm "$c" >/dev/null 2>&1 || true' RETURN
  "${B[@]}" run --isolation chroot "$c" -- sh -ec '
    for f in /usr/lib/omniq/modules/*.so /usr/lib/omniq/omniq_engine.so /usr/bin/omniq-deliver; do
      if ldd "$f" | grep "not found"; then echo "image: $f lacks a library" >&2; exit 1; fi
    done
    for t in gcc cc make; do
      if command -v $t >/dev/null; then echo "image: $t in the runtime image" >&2; exit 1; fi
    done'
  echo "image: $image, $("${B[@]}" images --format '{{.Size}}' "$image" | head -1)" \
       "(every module's libraries found inside it, no build tools)"
}

case "${1:-build}" in
  build) build ;;
  test)
    build
    OMNIQ_TOP="$top" OMNIQ_IMAGE="$image" /usr/bin/python3 "$top/tests/image/test_image.py" ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
