#!/usr/bin/env bash
# Throughput and memory benchmark (prints figures; it is not a test and has no pass/fail).
#
# 1. Builds netloupe in release mode.
# 2. Takes the ~1 GB benchmark capture built by ../shared/bench/build-mix.sh (builds it if missing;
#    needs tshark and tcpreplay from apt), or the file given as $1.
# 3. In the same run, times `tcpdump -r FILE -w /dev/null` (the read-rate baseline),
#    `netloupe analyze --conn-only` (connection records only) with 1 and 2 threads, the full
#    inspection (reassembly, protocol identification, parsers) with 1 and 2 threads, and, when
#    installed (apt-get install libndpi-bin), `ndpiReader -i FILE` (best of $RUNS interleaved
#    rounds, file in page cache); prints packets/s, Gbit/s, CPU-seconds and the ratios.
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
case "$MIX$BIN$TMP" in *" "*) echo "paths with spaces are not supported here" >&2; exit 1 ;; esac

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
echo "capture: $MIX ($(stat -c %s "$MIX") bytes)"
cat "$MIX" > /dev/null   # page cache: both readers see the same warm file

# The runs are interleaved (one of each command per round, RUNS rounds) and each command's
# best round kept: this VM's speed drifts by tens of percent over minutes, and blocks of runs
# of one command at a time made the ratios depend on when each block ran.
NAMES=(dump c1 c2 f1 f2 h1)
CMDS=(
  "tcpdump -r $MIX -w /dev/null"
  "$BIN analyze -q --conn-only --threads 1 -o $TMP/o1 $MIX"
  "$BIN analyze -q --conn-only --threads 2 -o $TMP/o2 $MIX"
  "$BIN analyze -q --threads 1 -o $TMP/f1 $MIX"
  "$BIN analyze -q --threads 2 -o $TMP/f2 $MIX"
  "$BIN analyze -q --threads 1 --file-hashes none -o $TMP/h1 $MIX"
)
if command -v ndpiReader >/dev/null; then
  NAMES+=(nd)
  CMDS+=("ndpiReader -q -i $MIX")
fi
declare -A T C
for _ in $(seq "$RUNS"); do
  for i in "${!NAMES[@]}"; do
    # shellcheck disable=SC2086 # the command strings are split on purpose (no spaces in paths)
    /usr/bin/time -f "%e %U %S" -o "$TMP/t" ${CMDS[$i]} >/dev/null 2>&1 || true
    read -r e u sy < <(tail -1 "$TMP/t")
    n=${NAMES[$i]}
    if [ -z "${T[$n]:-}" ] || (( $(echo "$e < ${T[$n]}" | bc -l) )); then
      T[$n]=$e
      C[$n]=$(echo "$u + $sy" | bc -l)
    fi
  done
done
t_dump=${T[dump]}; c_dump=${C[dump]}
t_c1=${T[c1]}; c_c1=${C[c1]}
t_c2=${T[c2]}; c_c2=${C[c2]}
t_f1=${T[f1]}; c_f1=${C[f1]}
t_f2=${T[f2]}; c_f2=${C[f2]}
t_h1=${T[h1]}; c_h1=${C[h1]}
pkts=$(python3 -c "import json;print(json.load(open('$TMP/o1/stats.json'))['packets']['read'])")
bytes=$(python3 -c "import json;print(json.load(open('$TMP/o1/stats.json'))['bytes']['captured'])")
flows=$(python3 -c "import json;print(json.load(open('$TMP/o1/stats.json'))['flows']['records'])")
report() { # name wall-seconds cpu-seconds
  python3 -c "
p=$pkts; b=$bytes; t=$2; c=$3; base=$t_dump
print(f'{\"$1\":<34} {t:7.3f} s wall {c:7.3f} s CPU  {p/t/1e6:6.3f} Mpackets/s  {b*8/t/1e9:6.3f} Gbit/s  {b*8/c/1e9:6.3f} Gbit per CPU-s  {base/t*100:6.1f}% of tcpdump')"
}
echo "packets: $pkts, captured bytes: $bytes, conn records: $flows"
report "tcpdump -r -w /dev/null" "$t_dump" "$c_dump"
report "netloupe --conn-only --threads 1" "$t_c1" "$c_c1"
report "netloupe --conn-only --threads 2" "$t_c2" "$c_c2"
report "netloupe (inspection) --threads 1" "$t_f1" "$c_f1"
report "netloupe (inspection) --threads 2" "$t_f2" "$c_f2"
report "netloupe (insp., no file hashes) -t1" "$t_h1" "$c_h1"
if [ -n "${T[nd]:-}" ]; then
  t_nd=${T[nd]}; c_nd=${C[nd]}
  report "ndpiReader -i" "$t_nd" "$c_nd"
  python3 -c "print(f'netloupe inspection vs ndpiReader, throughput per CPU-second: {$c_nd/$c_f1:.2f}x (without file hashes: {$c_nd/$c_h1:.2f}x)')"
else
  echo "ndpiReader not installed (apt-get install libndpi-bin): no nDPI comparison"
fi
python3 -c "import json;s=json.load(open('$TMP/f1/stats.json'));print('protocol records (1 thread):', s['inspection']['records'])"
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
