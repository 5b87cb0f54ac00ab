#!/usr/bin/env bash
# table.sh - `make bench`'s one table, and its JSON.
#
# 1. Relay, end to end, for 4 KiB and 100 KiB messages over 1, 20 and 100
#    sessions: seg, a private Postfix and the no-relay ceiling
#    (smtp-source straight into smtp-sink), in alternating rounds
#    (bench/relay.sh with RELAYS="seg postfix direct"), with CPU ms per
#    message and peak RSS; at 4 KiB x 20 sessions also acceptance latency
#    p50/p99 of seg and Postfix (bench/segbench latency).
# 2. TDC on vs off (relay.sh, seg-tdc vs seg-noscan).
# 3. Commit -> effect latency under load: 20 commits while smtp-source
#    loads seg; each adds a RAT entry, and a probe times the first
#    connection that sees it.
# 4. 10,000 idle SMTP connections, one per source address (above 80% of
#    a listener's slots an address that holds one gets no second: the
#    pressure rule): seg's RSS before and with them.
# 5. 1,000,000 queued recipients (10,000 messages x 100): restart time
#    (until the control socket answers) and `tophosts` time.
#
# 6. A cluster of 3 machines on a 3-member etcd (bench/cluster, `make
#    bench-cluster`): commit -> effect on the other machines' listeners,
#    p50/p99 over 100 commits, and the time a 4th machine takes to join a
#    configuration of 1,000 sender-group members and 1,000 destconfig
#    entries.
#
# Output: the table on stdout, bench/results/bench-STAMP.json, and the
# logs in $OUT. Environment: REPS=3 (rounds per relay and cell), QUICK=1
# (fewer messages: a smoke run), OUT=/tmp/seg-table, SKIP="relay tdc
# commit idle queue cluster" (parts to leave out). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3} OUT=${OUT:-/tmp/seg-table} SKIP=${SKIP:-}
mkdir -p "$OUT" bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
JSON=bench/results/bench-$STAMP.json
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
skip() { [[ " $SKIP " == *" $1 "* ]]; }
HOST=127.0.0.1
go build -o "$OUT/seg" ./cmd/seg
go build -o "$OUT/segbench" ./bench/segbench
SEG=$OUT/seg
ROWS=()     # JSON objects
TABLE=()    # table lines

# msgs SIZE SESSIONS -> messages per round (enough to last seconds, not minutes)
msgs() {
  local n
  case "$1x$2" in
  4096x1) n=2000 ;; 4096x20) n=10000 ;; 4096x100) n=10000 ;;
  102400x1) n=500 ;; 102400x20) n=2000 ;; 102400x100) n=2000 ;;
  *) n=2000 ;;
  esac
  [ -n "${QUICK:-}" ] && n=$((n / 10))
  echo $n
}

field() { awk -v n="$1" -v c="$2" '$1==n {print $c}' "$3"; }
ratio() { awk "BEGIN{ if ($2+0 == 0) print \"-\"; else printf \"%.2f\", ($1)/($2) }"; }

if ! skip relay; then
  for size in 4096 102400; do
    for sessions in 1 20 100; do
      n=$(msgs $size $sessions)
      lat=; [ $size = 4096 ] && [ $sessions = 20 ] && lat=1
      sum=$OUT/relay-$size-$sessions.txt
      log "relay: $n x $size B over $sessions sessions, $REPS rounds each of seg, postfix, direct"
      RELAYS="seg postfix direct" MSGS=$n SIZE=$size SESSIONS=$sessions REPS=$REPS OUT=$OUT/relay \
        LATENCY=$lat LAT_MSGS=$((n / 5)) SUMMARY=$sum bash bench/relay.sh > "$OUT/relay-$size-$sessions.log" 2>&1 ||
        { log "relay.sh failed: see $OUT/relay-$size-$sessions.log"; tail -5 "$OUT/relay-$size-$sessions.log" >&2; exit 1; }
      seg=$(field seg 3 $sum) pf=$(field postfix 3 $sum) dir=$(field direct 3 $sum)
      TABLE+=("$(printf '%-7s %8s %8s %9s %9s %8s %10s %10s %8s %8s %9s' $size $sessions "$seg" "$pf" "$dir" \
        "$(ratio $seg $pf)" "$(ratio $seg $dir)" "$(field seg 4 $sum)" "$(field postfix 4 $sum)" \
        "$(( $(field seg 6 $sum) / 1024 ))" "$(field seg 7 $sum)/$(field seg 8 $sum)|$(field postfix 7 $sum)/$(field postfix 8 $sum)")")
      ROWS+=("{\"part\":\"relay\",\"size\":$size,\"sessions\":$sessions,\"msgs\":$n,\"rounds\":$REPS,\"seg_e2e_per_s\":$seg,\"postfix_e2e_per_s\":$pf,\"ceiling_e2e_per_s\":$dir,\"seg_accept_per_s\":$(field seg 2 $sum),\"postfix_accept_per_s\":$(field postfix 2 $sum),\"seg_cpu_ms_per_msg\":$(field seg 4 $sum),\"postfix_cpu_ms_per_msg\":$(field postfix 4 $sum),\"seg_peak_rss_kb\":$(field seg 6 $sum),\"seg_p50_ms\":\"$(field seg 7 $sum)\",\"seg_p99_ms\":\"$(field seg 8 $sum)\",\"postfix_p50_ms\":\"$(field postfix 7 $sum)\",\"postfix_p99_ms\":\"$(field postfix 8 $sum)\"}")
    done
  done
fi

TDC_LINE=
if ! skip tdc; then
  sum=$OUT/tdc.txt
  log "TDC on vs off: 4 KiB x 20 sessions"
  RELAYS="seg-noscan seg-tdc" MSGS=$(msgs 4096 20) SIZE=4096 SESSIONS=20 REPS=$REPS OUT=$OUT/relay SUMMARY=$sum \
    bash bench/relay.sh > "$OUT/tdc.log" 2>&1 || { log "relay.sh failed: see $OUT/tdc.log"; exit 1; }
  off=$(field seg-noscan 3 $sum) on=$(field seg-tdc 3 $sum)
  TDC_LINE="TDC on/off e2e (4 KiB, 20 sessions): $on / $off msgs/s = $(ratio $on $off)"
  ROWS+=("{\"part\":\"tdc\",\"tdc_off_e2e_per_s\":$off,\"tdc_on_e2e_per_s\":$on,\"ratio\":\"$(ratio $on $off)\"}")
fi

# A seg of its own for parts 3-5: start_seg NAME PORT SSHPORT [setup...]
SEG_PIDS=()
cleanup() { local p; for p in "${SEG_PIDS[@]}" ${EXTRA_PIDS:-}; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/$HOST/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }
setup_seg() { # DIR PORT SSHPORT CMDS
  rm -rf "$1"; mkdir -p "$1"
  SEG_ADMIN_PASSWORD=bench-password "$SEG" cli --data "$1" "listenerconfig edit IncomingMail setup --port $2 ; sshconfig setup --port $3 ; $4 ; commit bench" > /dev/null
}

COMMIT_LINE=
if ! skip commit; then
  d=$OUT/commit-data; sink=2836
  smtp-sink -c -u postfix $HOST:$sink 1024 > "$OUT/commit-sink.out" 2>&1 & EXTRA_PIDS="${EXTRA_PIDS:-} $!"
  setup_seg "$d" 2835 2832 "smtproutes new example.test $HOST:$sink"
  "$SEG" run --data "$d" > "$OUT/commit-seg.out" 2>&1 & SEG_PIDS+=($!)
  wait_port 2835
  log "commit -> effect: 20 commits under a 20-session load"
  smtp-source -s 20 -m 1000000 -l 4096 -M client.test -f sender@client.test -t rcpt@example.test $HOST:2835 > /dev/null 2>&1 & load=$!
  sleep 2
  j=$("$OUT/segbench" commitlat -seg "$SEG" -data "$d" -addr $HOST:2835 -from 127.0.0.5 -n 20)
  kill $load 2>/dev/null || true; wait $load 2>/dev/null || true
  COMMIT_LINE="commit -> effect under load (20 commits): $j"
  ROWS+=("{\"part\":\"commit\",\"result\":$j}")
fi

IDLE_LINE=
if ! skip idle; then
  d=$OUT/idle-data
  # A local DNS server answers the reverse lookups (NXDOMAIN) at once.
  go build -o "$OUT/authdns" ./bench/authdns
  "$OUT/authdns" -addr $HOST:2843 'idle.test. 60 IN A 127.0.0.1' > /dev/null 2>&1 & EXTRA_PIDS="${EXTRA_PIDS:-} $!"
  setup_seg "$d" 2845 2842 "dnsconfig setup --servers $HOST:2843 ; listenerconfig edit IncomingMail setup --max_concurrency 10000 --pressure_idle 0 --reserved_percent 0 ; listenerconfig edit IncomingMail hostaccess new policy IDLE ACCEPT --max_concurrency=1000 ; listenerconfig edit IncomingMail hostaccess new sendergroup IDLERS 127.1.0.0/16 IDLE --position 1"
  ( ulimit -n "$(ulimit -Hn)"; exec "$SEG" run --data "$d" > "$OUT/idle-seg.out" 2>&1 ) & SEG_PIDS+=($!)
  wait_port 2845
  pid=$(pgrep -f "seg run --data $d" | head -1)
  log "idle: 10,000 connections"
  j=$( (ulimit -n "$(ulimit -Hn)"; "$OUT/segbench" idle -addr $HOST:2845 -n 10000 -pid "$pid" -from 127.1.0.1 -per-ip 1) )
  IDLE_LINE="10,000 idle SMTP connections: $j"
  ROWS+=("{\"part\":\"idle\",\"result\":$j}")
fi

QUEUE_LINE=
if ! skip queue; then
  d=$OUT/queue-data; msgs=10000; [ -n "${QUICK:-}" ] && msgs=1000
  setup_seg "$d" 2855 2852 "smtproutes new ALL $HOST:2859"
  "$OUT/segbench" stall -addr $HOST:2859 & EXTRA_PIDS="${EXTRA_PIDS:-} $!"
  log "queue: filling $msgs messages x 100 recipients"
  fillj=$("$OUT/segbench" fill -dir "$d/queue" -msgs $msgs -rcpts 100 -domains 1000)
  t0=$(date +%s.%N)
  "$SEG" run --data "$d" > "$OUT/queue-seg.out" 2>&1 & SEG_PIDS+=($!)
  until "$SEG" cli --data "$d" status > /dev/null 2>&1 && [ -S "$d/seg.sock" ]; do sleep 0.05; done
  t1=$(date +%s.%N)
  tops=()
  for _ in 1 2 3 4 5; do
    a=$(date +%s.%N); "$SEG" cli --data "$d" tophosts > "$OUT/tophosts.out"; b=$(date +%s.%N)
    tops+=("$(awk "BEGIN{printf \"%.0f\", ($b-$a)*1000}")")
  done
  restart=$(awk "BEGIN{printf \"%.2f\", $t1-$t0}")
  top=$(printf '%s\n' "${tops[@]}" | sort -n | sed -n 3p)
  QUEUE_LINE="$((msgs * 100)) queued recipients: restart ${restart} s until the control socket answers; tophosts median ${top} ms (5 runs, seg cli round trip included); fill: $fillj"
  ROWS+=("{\"part\":\"queue\",\"recipients\":$((msgs * 100)),\"restart_s\":$restart,\"tophosts_ms\":$top,\"fill\":$fillj}")
fi

if ! skip cluster; then
  log "cluster: 3 machines on a 3-member etcd, 100 commits, then a join"
  make -s etcd
  go test -count=1 -run '^$' -bench BenchmarkCluster -benchtime 1x -timeout 30m ./bench/cluster > "$OUT/cluster.out" 2>&1
  CLUSTER_LINE=$(grep '^cluster: ' "$OUT/cluster.out")
  ROWS+=("{\"part\":\"cluster\",\"result\":$(sed -n 's/^cluster-json: //p' "$OUT/cluster.out")}")
fi

{
  echo
  echo "make bench, $(date -u '+%F %T UTC'), $(nproc) CPUs; medians of $REPS alternating rounds"
  if [ ${#TABLE[@]} -gt 0 ]; then
    printf '%-7s %8s %8s %9s %9s %8s %10s %10s %8s %8s %9s\n' size sessions "seg/s" "postfix/s" "ceiling/s" "seg/pf" "seg/ceil" "seg ms" "pf ms" "RSS MB" "p50/p99 ms seg|pf"
    printf '%s\n' "${TABLE[@]}"
    echo "(msgs/s end to end; ms = relay CPU ms per message; RSS = seg's peak)"
  fi
  for l in "$TDC_LINE" "$COMMIT_LINE" "$IDLE_LINE" "$QUEUE_LINE" "${CLUSTER_LINE:-}"; do [ -n "$l" ] && echo "$l"; done
} | tee "$OUT/table.txt"
( IFS=,; echo "{\"stamp\":\"$STAMP\",\"cpus\":$(nproc),\"rounds\":$REPS,\"quick\":\"${QUICK:-}\",\"results\":[${ROWS[*]}]}" ) > "$JSON"
echo "JSON: $JSON"
