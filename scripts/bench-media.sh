#!/usr/bin/env bash
# Bounded RTP relay load runs on loopback with bench/rtpload: for each
# stream count, N bidirectional G.711 streams (50 packets/s per direction)
# through gatepbx's relay, the bare reference forwarder and, when
# installed, rtpengine in userspace mode; prints packets/s delivered, loss,
# added latency p50/p99 and the forwarder's CPU per 1000 packets/s, then
# the relay's verdict against the targets.
#   STREAMS   comma-separated stream counts (default 100,250,500,1000)
#   BENCH_SECONDS  measured seconds per run (default 10; at most 60)
#   TARGETS   forwarders (default relay,bare,rtpengine; relay-goroutines is
#             the relay with one reader goroutine per endpoint instead of
#             its epoll reactors)
#   REACTORS  the relay's reactor goroutines (default 0: GOMAXPROCS)
# The verdict judges the targets at 250 and 500 streams; at other counts it
# prints the same ratios for information.
# Latency is measured from the generator's send to the kernel's receive
# timestamp of the relayed packet (SO_TIMESTAMPNS), so the generator's own
# scheduling does not count.
set -euo pipefail
STREAMS=${STREAMS:-100,250,500,1000}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
TARGETS=${TARGETS:-relay,bare,rtpengine}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
CGO_ENABLED=0 "${GO:-go}" build -o "$WORK/rtpload" ./bench/rtpload
command -v rtpengine >/dev/null 2>&1 || echo "note: rtpengine not installed (Debian package rtpengine-daemon); its rows are skipped"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores before the runs"
# Each run: 2 s warm-up, the measured window, 0.5 s drain; bounded overall.
RUNS=$(( $(tr -cd , <<<"$STREAMS" | wc -c) + 1 ))
RUNS=$(( RUNS * ($(tr -cd , <<<"$TARGETS" | wc -c) + 1) ))
timeout $(( (SECONDS_PER_RUN + 15) * RUNS + 60 )) \
	"$WORK/rtpload" -streams "$STREAMS" -targets "$TARGETS" -duration "${SECONDS_PER_RUN}s" -reactors "${REACTORS:-0}"
