#!/usr/bin/env bash
# A fleet of HOSTS hosts scraped every 60 s for DAYS days, each host at its own offset within the minute (give or
# take a quarter second, as real scrapes are), every 50th host busy about 90%, the others about 10%; times
# `assay telemetry fleet` over the whole window. It must name exactly the planted hosts.
#   ENGINE=prometheus (default): backfilled into a real Prometheus with promtool (tsdb create-blocks-from
#     openmetrics). Backfilled blocks list no scrape targets, so the interval comes from the samples.
#   ENGINE=victoria-metrics: imported into Debian's VictoriaMetrics through /api/v1/import/prometheus.
# With FLEET_DATA set, the stored data are kept in that folder and a later run with the same ENGINE, HOSTS and DAYS
# reuses them (a 7-day backfill of 1,000 hosts takes about 40 minutes).
# Prints the time, Assay's peak RSS and the store's peak RSS.
#   [ENGINE=prometheus|victoria-metrics] [FLEET_DATA=DIR] bash Benchmarks/fleet-bench.sh [HOSTS] [DAYS] [ASSAY]
set -euo pipefail
hosts=${1:-1000}
days=${2:-1}
assay=${3:-.build/release/assay}
engine=${ENGINE:-prometheus}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null && wait 2>/dev/null; rm -rf "$work"' EXIT
data=${FLEET_DATA:-$work/data}
port=$(( 20000 + RANDOM % 20000 ))
url="http://127.0.0.1:$port"

# The series, to stdout: OpenMetrics with timestamps in seconds (promtool), or Prometheus text with timestamps in
# milliseconds (VictoriaMetrics). Each series' samples in time order, each metric family together.
generate() {
    python3 - "$hosts" "$days" "$1" "$2" <<'PY'
import sys
hosts, days, end, fmt = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
minutes = int(days * 1440)
out = sys.stdout
scale, stamp = (1, "%.2f") if fmt == "om" else (1000, "%d")
def times(h):
    offset = (h * 7) % 60
    return [stamp % ((end - (minutes - m) * 60 + offset + ((m % 3) - 1) * 0.25) * scale) for m in range(minutes + 1)]
if fmt == "om":
    out.write("# TYPE node_cpu_seconds counter\n")
for h in range(hosts):
    idle = 6.0 if h % 50 == 7 else 54.0
    name = "host-%05d:9100" % h
    t = times(h)
    for mode, rate in (("idle", idle), ("user", 60 - idle)):
        head = 'node_cpu_seconds_total{cpu="0",instance="%s",job="node",mode="%s"} ' % (name, mode)
        out.write("".join("%s%.1f %s\n" % (head, m * rate, t[m]) for m in range(minutes + 1)))
for metric, value in (("node_memory_MemTotal_bytes", "8000000000"), ("node_memory_MemAvailable_bytes", "4000000000")):
    if fmt == "om":
        out.write("# TYPE %s gauge\n" % metric[:-6])
    for h in range(hosts):
        head = '%s{instance="host-%05d:9100",job="node"} %s ' % (metric, h, value)
        out.write("".join("%s%s\n" % (head, s) for s in times(h)))
if fmt == "om":
    out.write("# EOF\n")
PY
}

end=$(( ($(date +%s) / 60) * 60 - 300 ))
stamp="$engine $hosts $days"
fresh=true
if [ -f "$data/assay-fleet-bench" ] && [ "$(cat "$data/assay-fleet-bench")" = "$stamp" ]; then
    echo "reusing the stored fleet in $data"
    fresh=false
fi
mkdir -p "$data"
start=$(date +%s.%N)
case "$engine" in
prometheus)
    if $fresh; then
        generate "$end" om > "$work/fleet.om"
        echo "openmetrics: $(du -h "$work/fleet.om" | cut -f1) for $hosts hosts × $days days at 60 s"
        promtool tsdb create-blocks-from openmetrics "$work/fleet.om" "$data" > /dev/null
        rm "$work/fleet.om"
        echo "backfill: $(echo "$(date +%s.%N) - $start" | bc) s"
    fi
    prometheus --config.file=/dev/null --storage.tsdb.path="$data" --storage.tsdb.retention.time=30d \
        --web.listen-address=127.0.0.1:$port > "$work/store.log" 2>&1 &
    echo $! > "$work/pid"
    until curl -sf "$url/-/ready" > /dev/null; do sleep 0.5; done
    ;;
victoria-metrics)
    victoria-metrics -storageDataPath="$data" -retentionPeriod=100y -httpListenAddr=127.0.0.1:$port -loggerLevel=ERROR \
        > "$work/store.log" 2>&1 &
    echo $! > "$work/pid"
    until curl -sf "$url/health" > /dev/null; do sleep 0.5; done
    if $fresh; then
        generate "$end" prom | curl -sf -X POST -T - "$url/api/v1/import/prometheus"
        curl -sf "$url/internal/force_flush" > /dev/null
        echo "import: $(echo "$(date +%s.%N) - $start" | bc) s"
    fi
    ;;
*) echo "ENGINE: prometheus or victoria-metrics, not $engine" >&2; exit 64 ;;
esac
echo "$stamp" > "$data/assay-fleet-bench"
pid=$(cat "$work/pid")
status=0
/usr/bin/time -f "%M %e" -o "$work/rss" "$assay" telemetry fleet --prometheus "$url" --hours "$(echo "$days * 24" | bc)" --step 60 \
    --timeout 120 > "$work/out.txt" 2> "$work/err.txt" || status=$?
store_rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
if [ "$status" -gt 1 ]; then echo "assay telemetry fleet exited $status:"; cat "$work/err.txt"; exit 1; fi
named=$(grep "CPU Utilization" "$work/out.txt" | grep BREACH | awk '{print $1}' | sort | tr '\n' ' ')
planted=$(python3 -c "print(' '.join('host-%05d:9100' % h for h in range($hosts) if h % 50 == 7))")
echo "assay telemetry fleet on $engine: $(tail -1 "$work/rss" | cut -d' ' -f2) s, exit $status," \
    "$(grep -c "CPU Utilization" "$work/out.txt") CPU rows, $(grep -c "Memory Usage" "$work/out.txt") memory rows;" \
    "assay peak RSS $(( $(tail -1 "$work/rss" | cut -d' ' -f1) / 1024 )) MiB, $engine peak RSS $store_rss MiB"
grep "^scrape interval" "$work/out.txt"
if [ "$named" = "$planted " ]; then echo "named exactly the $(echo $planted | wc -w) planted hosts"; else echo "MISMATCH: named [$named], planted [$planted]"; cat "$work/err.txt"; exit 1; fi
