#!/usr/bin/env bash
# Throughput and memory benchmark (prints figures; it is not a test and has no pass/fail).
#
# 1. Builds netloupe in release mode.
# 2. Takes the ~1 GB benchmark capture built by ../shared/bench/build-mix.sh (builds it if missing;
#    needs tshark and tcpreplay from apt), or the file given as $1.
# 3. In the same run, times `tcpdump -r FILE -w /dev/null` (the read-rate baseline) and
#    `netloupe analyze` with 1 and 2 threads (best of $RUNS each, file in page cache), and prints
#    packets/s, Gbit/s and the ratio to tcpdump.
# 4. Memory: a capture with 1,000,000 concurrent idle TCP flows (made by netloupe itself); prints
#    peak RSS and bytes per tracked flow (RSS above a one-flow run, divided by the flow count).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
MIX=${1:-${BENCH_DIR:-$PWD/../bench-mix}/mix.pcap}
if [ ! -s "$MIX" ]; then
  echo "building the benchmark capture at $MIX (this takes a few minutes)"
  BENCH_DIR=$(dirname "$MIX") bash ../shared/bench/build-mix.sh
fi
command -v tcpdump >/dev/null || { echo "tcpdump not found: apt-get install -y tcpdump" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not found: apt-get install -y time" >&2; exit 1; }
cargo build --release -p netloupe >/dev/null 2>&1 || cargo build --release -p netloupe
BIN=$PWD/target/release/netloupe
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
echo "capture: $MIX ($(stat -c %s "$MIX") bytes)"
cat "$MIX" > /dev/null   # page cache: both readers see the same warm file

best() { # best wall time in seconds of RUNS runs of "$@"
  local b=""
  for _ in $(seq "$RUNS"); do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
  done
  echo "$b"
}

t_dump=$(best tcpdump -r "$MIX" -w /dev/null)
t_nl1=$(best "$BIN" analyze -q --threads 1 -o "$TMP/o1" "$MIX")
t_nl2=$(best "$BIN" analyze -q --threads 2 -o "$TMP/o2" "$MIX")
pkts=$(python3 -c "import json;print(json.load(open('$TMP/o1/stats.json'))['packets']['read'])")
bytes=$(python3 -c "import json;print(json.load(open('$TMP/o1/stats.json'))['bytes']['captured'])")
flows=$(python3 -c "import json;print(json.load(open('$TMP/o1/stats.json'))['flows']['records'])")
report() { # name seconds
  python3 -c "
p=$pkts; b=$bytes; t=$2; base=$t_dump
print(f'{\"$1\":<28} {t:8.3f} s  {p/t/1e6:7.3f} Mpackets/s  {b*8/t/1e9:7.3f} Gbit/s  {base/t*100:6.1f}% of tcpdump')"
}
echo "packets: $pkts, captured bytes: $bytes, conn records: $flows"
report "tcpdump -r -w /dev/null" "$t_dump"
report "netloupe --threads 1" "$t_nl1"
report "netloupe --threads 2" "$t_nl2"
/usr/bin/time -f "%M" -o "$TMP/rss1" "$BIN" analyze -q --threads 1 -o "$TMP/o1" "$MIX" >/dev/null 2>&1
echo "peak RSS, benchmark capture, 1 thread: $(( $(cat "$TMP/rss1") / 1024 )) MiB"

N=${FLOWS:-1000000}
"$BIN" write-many-flows-pcap "$TMP/many.pcap" "$N"
"$BIN" write-many-flows-pcap "$TMP/one.pcap" 1
/usr/bin/time -f "%M" -o "$TMP/rssN" "$BIN" analyze -q -o "$TMP/oN" "$TMP/many.pcap" >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$TMP/rss0" "$BIN" analyze -q -o "$TMP/o0" "$TMP/one.pcap" >/dev/null 2>&1
peak=$(python3 -c "import json;print(json.load(open('$TMP/oN/stats.json'))['flows']['peak_concurrent'])")
python3 -c "
n=$peak; big=$(cat "$TMP/rssN")*1024; small=$(cat "$TMP/rss0")*1024
print(f'{n} concurrent idle flows: peak RSS {big/2**20:.0f} MiB (one-flow run {small/2**20:.0f} MiB): {(big-small)/n:.0f} bytes per flow')"
