#!/usr/bin/env bash
# Threat-intelligence benchmark (prints figures; not a test, no pass/fail).
#
# 1. Builds netloupe and the synthetic feed generator in release mode.
# 2. Writes a Zeek intel file of $COUNT (default 1,000,000) mixed indicators (addresses, CIDRs,
#    domains, URLs, digests, e-mail addresses, JA3/JA4, user agents; crates/intel/examples/
#    synth_feed.rs) plus 200 addresses taken from the benchmark capture, so matches happen.
# 3. Load: `netloupe intel check` on it: wall time and peak RSS (whole process).
# 4. Throughput: the benchmark capture (../bench-mix/mix.pcap, built by
#    ../shared/bench/build-mix.sh, or $1) analysed with and without the feed, $RUNS interleaved
#    rounds, best of each kept (this VM's speed drifts; see scripts/bench.sh), 1 and 2 threads.
#    Throughput is packets over the analysis time stats.json reports (`time.elapsed_s`): the
#    feed is loaded once before the analysis starts (its cost is step 3's); the process's wall
#    and CPU time, load included, are printed beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
COUNT=${COUNT:-1000000}
MIX=${1:-${BENCH_DIR:-$PWD/../bench-mix}/mix.pcap}
if [ ! -s "$MIX" ]; then
  echo "building the benchmark capture at $MIX (this takes a few minutes)"
  BENCH_DIR=$(dirname "$MIX") bash ../shared/bench/build-mix.sh
fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time not found: apt-get install -y time" >&2; exit 1; }
cargo build --release -p netloupe >/dev/null 2>&1 && cargo build --release -p netloupe-intel --example synth_feed >/dev/null 2>&1 ||
  { cargo build --release -p netloupe && cargo build --release -p netloupe-intel --example synth_feed; }
BIN=$PWD/target/release/netloupe
GEN=$PWD/target/release/examples/synth_feed
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
case "$MIX$BIN$TMP" in *" "*) echo "paths with spaces are not supported here" >&2; exit 1 ;; esac

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
echo "capture: $MIX ($(stat -c %s "$MIX") bytes)"
cat "$MIX" > /dev/null

# Real values: responder addresses of the capture's connections, so the hit path runs too.
"$BIN" analyze -q --conn-only -o "$TMP/c" "$MIX" >/dev/null 2>&1
python3 - "$TMP/c/conn.log" > "$TMP/real.tsv" <<'EOF'
import json, sys, collections
c = collections.Counter(json.loads(l)["id.resp_h"] for l in open(sys.argv[1]))
for a, _ in c.most_common()[100:300]:
    print(f"Intel::ADDR\t{a}")
EOF
"$GEN" "$COUNT" "$TMP/feed.intel" "$TMP/real.tsv"
echo "feed: $(wc -l < "$TMP/feed.intel") lines, $(stat -c %s "$TMP/feed.intel") bytes"

/usr/bin/time -f "%e %M" -o "$TMP/load" "$BIN" intel check "$TMP/feed.intel" > "$TMP/check.txt"
read -r load_s load_kb < "$TMP/load"
tail -1 "$TMP/check.txt"
python3 -c "print(f'load ({$COUNT} indicators + extras): {$load_s:.2f} s wall, peak RSS {$load_kb/1024:.0f} MiB (targets: < 3 s, < 300 MB)')"

NAMES=(p1 i1 p2 i2)
CMDS=(
  "$BIN analyze -q --threads 1 -o $TMP/p1 $MIX"
  "$BIN analyze -q --threads 1 --intel $TMP/feed.intel -o $TMP/i1 $MIX"
  "$BIN analyze -q --threads 2 -o $TMP/p2 $MIX"
  "$BIN analyze -q --threads 2 --intel $TMP/feed.intel -o $TMP/i2 $MIX"
)
declare -A T C A K
for _ in $(seq "$RUNS"); do
  for i in "${!NAMES[@]}"; do
    # shellcheck disable=SC2086 # the command strings are split on purpose (no spaces in paths)
    /usr/bin/time -f "%e %U %S" -o "$TMP/t" ${CMDS[$i]} >/dev/null 2>&1 || true
    read -r e u sy < <(tail -1 "$TMP/t")
    n=${NAMES[$i]}
    a=$(python3 -c "import json;print(json.load(open('$TMP/$n/stats.json'))['time']['elapsed_s'])")
    k=$(python3 -c "import json;print(json.load(open('$TMP/$n/stats.json'))['time']['cpu_s'] or 0)")
    if [ -z "${K[$n]:-}" ] || (( $(echo "$k < ${K[$n]}" | bc -l) )); then
      K[$n]=$k
    fi
    if [ -z "${A[$n]:-}" ] || (( $(echo "$a < ${A[$n]}" | bc -l) )); then
      A[$n]=$a
      T[$n]=$e
      C[$n]=$(echo "$u + $sy" | bc -l)
    fi
  done
done
pkts=$(python3 -c "import json;print(json.load(open('$TMP/p1/stats.json'))['packets']['read'])")
bytes=$(python3 -c "import json;print(json.load(open('$TMP/p1/stats.json'))['bytes']['captured'])")
for t in 1 2; do
  python3 - "$pkts" "$bytes" "${A[p$t]}" "${T[p$t]}" "${C[p$t]}" "${A[i$t]}" "${T[i$t]}" "${C[i$t]}" "$t" "${K[p$t]}" "${K[i$t]}" <<'EOF'
import sys
p, b = int(sys.argv[1]), int(sys.argv[2])
ap, tp, cp, ai, ti, ci = map(float, sys.argv[3:9])
th = sys.argv[9]
kp, ki = float(sys.argv[10]), float(sys.argv[11])
print(f"--threads {th} without intel: analysis {ap:.3f} s, {kp:.2f} CPU-s  {p/ap/1e6:.3f} Mpackets/s  {b*8/ap/1e9:.3f} Gbit/s  (process {tp:.3f} s wall, {cp:.3f} s CPU)")
print(f"--threads {th} with the feed: analysis {ai:.3f} s, {ki:.2f} CPU-s  {p/ai/1e6:.3f} Mpackets/s  {b*8/ai/1e9:.3f} Gbit/s  (process {ti:.3f} s wall, {ci:.3f} s CPU, load included)")
print(f"--threads {th}: throughput with intel = {ap/ai*100:.1f}% of without (target >= 95%); analysis CPU {(ki-kp)/kp*100:+.1f}%")
EOF
done
python3 - "$TMP/i1/stats.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["intel"]
print(f"matching (1 thread): {s['lookups']} lookups, {s['hits']} sightings, {s['alerts']} alerts; by where: {s['hits_by_where']}")
EOF
