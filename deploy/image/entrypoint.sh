#!/bin/sh
# The image's entrypoint: `docker run tributary <service>` runs that service's
# bundle with the flags the launcher gives it (apps/launcher/src/node-options.ts).
# exec: node is PID 1 and gets SIGTERM itself, so runService drains the consumers.
set -eu
bundles="${TRIBUTARY_BUNDLES:-/app/dist/services}"
service="${1:-}"
case "$service" in
  '' | */* | .* | stack-traces) service='' ;;
esac
if [ -z "$service" ] || [ ! -f "$bundles/$service.mjs" ]; then
  echo "usage: <service>, one of: $(cd "$bundles" && ls ./*.mjs | sed -e 's#^\./##' -e 's#\.mjs$##' | grep -v '^stack-traces$' | tr '\n' ' ')" >&2
  exit 64
fi
shift
# The gateway takes every request: larger semi-spaces, fewer scavenges; old generations grow by half
# their live size, not up to four times (apps/launcher/src/node-options.ts).
semi=2
[ "$service" = gateway ] && semi=16
exec node --import "file://$bundles/stack-traces.mjs" --max-semi-space-size=$semi --wasm-lazy-compilation --heap-growing-percent=50 "$bundles/$service.mjs" "$@"
