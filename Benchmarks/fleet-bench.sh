#!/usr/bin/env bash
# Backfills HOSTS hosts scraped every 60 s for DAYS days into a real Prometheus (promtool tsdb create-blocks-from
# openmetrics), every 50th host busy about 90%, the others about 10%, and times `assay telemetry fleet` over the
# whole window. It must name exactly the planted hosts. With FLEET_DATA set, the backfilled blocks are kept in that
# folder and a later run with the same HOSTS and DAYS reuses them (a 7-day backfill takes about 40 minutes).
#   [FLEET_DATA=DIR] bash Benchmarks/fleet-bench.sh [HOSTS] [DAYS] [ASSAY]
set -euo pipefail
hosts=${1:-1000}
days=${2:-1}
assay=${3:-.build/release/assay}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
data=${FLEET_DATA:-$work/data}
if [ -f "$data/assay-fleet-bench" ] && [ "$(cat "$data/assay-fleet-bench")" = "$hosts $days" ]; then
    echo "reusing the backfill in $data"
else
    mkdir -p "$data"
    end=$(( ($(date +%s) / 60) * 60 - 300 ))
    python3 - "$hosts" "$days" "$end" > "$work/fleet.om" <<'PY'
import sys
hosts, days, end = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
minutes = int(days * 1440)
w = sys.stdout.write
w("# TYPE node_cpu_seconds counter\n")
for h in range(hosts):
    idle = 6.0 if h % 50 == 7 else 54.0
    name = "host-%04d:9100" % h
    for mode, rate in (("idle", idle), ("user", 60 - idle)):
        for m in range(minutes + 1):
            w('node_cpu_seconds_total{cpu="0",instance="%s",job="node",mode="%s"} %.1f %d\n' % (name, mode, m * rate, end - (minutes - m) * 60))
for metric, value in (("node_memory_MemTotal_bytes", 8e9), ("node_memory_MemAvailable_bytes", 4e9)):
    w("# TYPE %s gauge\n" % metric[:-6])
    for h in range(hosts):
        name = "host-%04d:9100" % h
        for m in range(minutes + 1):
            w('%s{instance="%s",job="node"} %.0f %d\n' % (metric, name, value, end - (minutes - m) * 60))
w("# EOF\n")
PY
    echo "openmetrics: $(du -h "$work/fleet.om" | cut -f1) for $hosts hosts × $days days at 60 s"
    start=$(date +%s.%N)
    promtool tsdb create-blocks-from openmetrics "$work/fleet.om" "$data" > /dev/null
    echo "backfill: $(echo "$(date +%s.%N) - $start" | bc) s"
    rm "$work/fleet.om"
    echo "$hosts $days" > "$data/assay-fleet-bench"
fi
port=$(( 20000 + RANDOM % 20000 ))
prometheus --config.file=/dev/null --storage.tsdb.path="$data" --storage.tsdb.retention.time=30d \
    --web.listen-address=127.0.0.1:$port > "$work/prometheus.log" 2>&1 &
echo $! > "$work/pid"
until curl -sf "http://127.0.0.1:$port/-/ready" > /dev/null; do sleep 0.5; done
start=$(date +%s.%N)
status=0
"$assay" telemetry fleet --prometheus "http://127.0.0.1:$port" --hours "$(echo "$days * 24" | bc)" --step 60 --timeout 120 > "$work/out.txt" 2> "$work/err.txt" || status=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
if [ "$status" -gt 1 ]; then echo "assay telemetry fleet exited $status:"; cat "$work/err.txt"; exit 1; fi
named=$(grep "CPU Utilization" "$work/out.txt" | grep BREACH | awk '{print $1}' | sort | tr '\n' ' ')
planted=$(python3 -c "print(' '.join('host-%04d:9100' % h for h in range($hosts) if h % 50 == 7))")
echo "assay telemetry fleet: ${elapsed} s, exit $status, $(grep -c "CPU Utilization" "$work/out.txt") CPU rows, $(grep -c "Memory Usage" "$work/out.txt") memory rows"
if [ "$named" = "$planted " ]; then echo "named exactly the $(echo $planted | wc -w) planted hosts"; else echo "MISMATCH: named [$named], planted [$planted]"; cat "$work/err.txt"; exit 1; fi
