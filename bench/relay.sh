#!/usr/bin/env bash
# relay.sh - seg against a private Postfix relay, side by side, in one run.
#
# Both relays listen on loopback and forward every message to one
# smtp-sink (127.0.0.1:$SINK_PORT). smtp-source offers MSGS messages of
# SIZE bytes over SESSIONS sessions. Rounds alternate seg, Postfix, seg,
# Postfix... (the machine is noisy: compare medians from the same run).
#
# Figures per round: accept (MSGS / time until smtp-source had its last
# 250), e2e (MSGS / time until the sink counted MSGS more messages), CPU
# ms per message of the relay alone (seg: its process; Postfix: master
# with reaped children plus live children), and of the whole machine.
#
# Environment: MSGS=10000 SIZE=4096 SESSIONS=20 REPS=3 OUT=/tmp/seg-bench
#   SEG_SETUP="CMD ; CMD": more seg cli commands for every seg variant,
#     e.g. mail flow policy limits to measure the cost of counting;
#   RELAYS="seg postfix direct seg-noscan seg-tdc seg-auth seg-sign": the
#     relays of each round, in order (seg variants below; direct: smtp-source straight
#     into the sink, no relay at all: the ceiling); PROFILE=1 writes each seg's CPU
#     profile of round N to $OUT/NAME.cpu.pprof.N (go tool pprof -top
#     $OUT/seg $OUT/NAME.cpu.pprof.N)
#   LATENCY=1 adds acceptance latency p50/p99 of seg and Postfix (LAT_MSGS);
#   SUMMARY=FILE writes the medians one line per relay (bench/table.sh)
# Needs: smtp-source, smtp-sink, postfix (Debian package postfix), go.
# Loopback only: every address is 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
MSGS=${MSGS:-10000} SIZE=${SIZE:-4096} SESSIONS=${SESSIONS:-20} REPS=${REPS:-3}
OUT=${OUT:-/tmp/seg-bench} TIMEOUT=${TIMEOUT:-600} PROFILE=${PROFILE:-}
RELAYS=${RELAYS:-seg postfix direct seg-noscan seg-tdc seg-auth seg-sign}
SEG_PORT=${SEG_PORT:-2725} PF_PORT=${PF_PORT:-2625} SINK_PORT=${SINK_PORT:-2626}
TDC_SINK_PORT=${TDC_SINK_PORT:-2627} SSH_PORT=${SSH_PORT:-2712} DNS_PORT=${DNS_PORT:-2653}
HOST=127.0.0.1
# Two runs at once would share these ports: the second's seg could not
# bind and its smtp-source would load the first's seg, spoiling both.
for p in $SEG_PORT $((SEG_PORT + 1)) $((SEG_PORT + 2)) $((SEG_PORT + 3)) $((SEG_PORT + 4)) $DNS_PORT $PF_PORT $SINK_PORT $TDC_SINK_PORT $SSH_PORT $((SSH_PORT + 1)) $((SSH_PORT + 2)) $((SSH_PORT + 3)) $((SSH_PORT + 4)); do
  if (exec 3<>/dev/tcp/$HOST/$p) 2>/dev/null; then
    echo "port $p is in use (another bench/relay.sh?): wait, or set SEG_PORT PF_PORT SINK_PORT TDC_SINK_PORT SSH_PORT" >&2
    exit 1
  fi
done
mkdir -p "$OUT"; rm -rf "$OUT"/seg "$OUT"/pf "$OUT"/*-data
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
now() { date +%s.%N; }
calc() { awk "BEGIN{printf \"%.${2:-1}f\", ($1)}"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{printf "%.2f", (NR%2?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2)}'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/$HOST/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }
clk=$(getconf CLK_TCK)
# cpu_ticks PID... -> utime+stime(+cutime+cstime) summed
proc_ticks() { local t=0 p f; for p in "$@"; do f=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) || continue; set -- $f; t=$((t + ${12} + ${13} + ${14} + ${15})); done; echo $t; }
sys_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }

command -v smtp-source >/dev/null || { echo "smtp-source missing: apt-get install postfix" >&2; exit 1; }
go build -o "$OUT/seg" ./cmd/seg

# ---------------------------------------------------------------- sinks
SINKS=()
start_sink() { smtp-sink -c -m 512 -u postfix $HOST:$1 1024 > "$OUT/sink-$1.out" 2>&1 & SINKS+=($!); wait_port "$1"; }
sink_count() { local x; x=$(tail -c 64 "$OUT/sink-$1.out" 2>/dev/null); x=${x##*mesg=}; x=${x%%[!0-9]*}; echo "${x:-0}"; }

# ---------------------------------------------------------------- postfix
PF=$OUT/pf
start_postfix() {
  mkdir -p "$PF/conf" "$PF/queue" "$PF/data"; chown postfix "$PF/data"
  cp /usr/share/postfix/master.cf.dist "$PF/conf/master.cf" 2>/dev/null || cp /etc/postfix/master.cf "$PF/conf/master.cf"
  sed -i -e 's/^smtp\( \+\)inet /#smtp\1inet /' "$PF/conf/master.cf"
  echo "$HOST:$PF_PORT inet n - n - - smtpd" >> "$PF/conf/master.cf"
  cat > "$PF/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
myhostname = relay.test
mydestination =
local_transport = error:local delivery disabled
alias_maps =
alias_database =
inet_interfaces = $HOST
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = example.test
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost = [$HOST]:$SINK_PORT
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
biff = no
append_dot_mydomain = no
syslog_name = postfix-segbench
maillog_file_prefixes = $OUT
maillog_file = $PF/postfix.log
CF
  script -qc "postfix -c $PF/conf start" /dev/null >/dev/null
  wait_port $PF_PORT
}
stop_postfix() { script -qc "postfix -c $PF/conf stop" /dev/null >/dev/null 2>&1 || true; }
pf_pids() { local m; m=$(head -1 "$PF/queue/pid/master.pid" 2>/dev/null | tr -d ' '); [ -n "$m" ] && echo "$m $(pgrep -P "$m" | tr '\n' ' ')"; }
pf_queue_empty() { [ -z "$(find "$PF/queue/active" "$PF/queue/incoming" "$PF/queue/deferred" -type f 2>/dev/null | head -1)" ]; }

# ---------------------------------------------------------------- seg
# Each seg variant is its own process with its own data directory and
# port; idle ones cost nothing while another variant's round runs.
#   seg         mail from 127.0.0.1 is relayed (RELAYLIST, the outgoing
#               table): the figure compared with Postfix
#   seg-noscan  127.0.0.1 sends as an ALLOWED_LIST host, recipients pass
#               the RAT and match the incoming policy DEFAULT, TDC off
#   seg-tdc     as seg-noscan with the policy's TDC on: every message is
#               journaled to a second sink through the.tdc.queue
#   seg-auth    as seg-noscan with SPF (HELO, MAIL FROM), DKIM verification
#               and DMARC on for all mail, against authdns serving
#               client.test's SPF and DMARC records (compare: seg-noscan)
#   seg-sign    as seg with DKIM signing (RSA 2048) of all relayed mail
#               (compare: seg)
declare -A SEG_PID SEG_PORTS=([seg]=$SEG_PORT [seg-noscan]=$((SEG_PORT + 1)) [seg-tdc]=$((SEG_PORT + 2)) [seg-auth]=$((SEG_PORT + 3)) [seg-sign]=$((SEG_PORT + 4)))
declare -A SEG_SSH=([seg]=$SSH_PORT [seg-noscan]=$((SSH_PORT + 1)) [seg-tdc]=$((SSH_PORT + 2)) [seg-auth]=$((SSH_PORT + 3)) [seg-sign]=$((SSH_PORT + 4)))
start_seg() {
  local name=$1 d=$OUT/$1-data
  rm -rf "$d"; mkdir -p "$d"
  local cfg="listenerconfig edit IncomingMail setup --port ${SEG_PORTS[$name]} ; sshconfig setup --port ${SEG_SSH[$name]} ; smtproutes new example.test $HOST:$SINK_PORT"
  if [ "$name" != seg ] && [ "$name" != seg-sign ]; then
    # Relayed mail is never journaled (SPEC 2): receive as incoming mail.
    local tdc=default; [ "$name" != seg-tdc ] && tdc=off
    cfg="$cfg ; listenerconfig edit IncomingMail hostaccess edit sendergroup RELAYLIST --remove $HOST"
    cfg="$cfg ; listenerconfig edit IncomingMail hostaccess edit sendergroup ALLOWED_LIST --add $HOST"
    cfg="$cfg ; listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT"
    cfg="$cfg ; smtproutes new intake.test $HOST:$TDC_SINK_PORT ; tdcconfig setup --enable yes --intake journal@intake.test ; policyconfig incoming edit DEFAULT --tdc $tdc"
  fi
  case $name in
  seg-auth) cfg="$cfg ; dnsconfig setup --servers $HOST:$DNS_PORT ; listenerconfig edit IncomingMail hostaccess default --spf=on --spf_conformance=spf --dkim_verification=on --dmarc_verification=on" ;;
  seg-sign) cfg="$cfg ; domainkeys key new bench --type rsa --bits 2048 ; domainkeys profile new bench --domain client.test --selector s1 --key bench ; listenerconfig edit IncomingMail hostaccess default --dkim_signing=on" ;;
  esac
  [ -n "${SEG_SETUP:-}" ] && cfg="$cfg ; $SEG_SETUP"
  SEG_ADMIN_PASSWORD=bench-password "$OUT/seg" cli --data "$d" "$cfg ; commit bench" >/dev/null
  local prof=(); [ -n "$PROFILE" ] && prof=(--cpuprofile "$OUT/$name.cpu.pprof")
  "$OUT/seg" run --data "$d" "${prof[@]}" > "$OUT/$name.out" 2>&1 & SEG_PID[$name]=$!
  wait_port "${SEG_PORTS[$name]}"
}

cleanup() {
  local p
  for p in "${SEG_PID[@]}"; do kill "$p" 2>/dev/null; done
  stop_postfix; for p in "${SINKS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null || true
}
trap cleanup EXIT

want() { [[ " $RELAYS " == *" $1 "* ]]; }
start_sink $SINK_PORT; { want seg-tdc || want seg-noscan; } && start_sink $TDC_SINK_PORT
want postfix && start_postfix
if want seg-auth; then
  go build -o "$OUT/authdns" ./bench/authdns
  "$OUT/authdns" -addr $HOST:$DNS_PORT \
    'client.test. 3600 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"' \
    '_dmarc.client.test. 3600 IN TXT "v=DMARC1; p=reject"' > "$OUT/authdns.out" 2>&1 & SINKS+=($!)
fi
for name in seg seg-noscan seg-tdc seg-auth seg-sign; do want $name && start_seg $name; done
log "relays: $RELAYS; sink :$SINK_PORT, intake sink :$TDC_SINK_PORT; $MSGS x $SIZE B, $SESSIONS sessions, $REPS rounds each"

# round NAME -> "accept_rate e2e_rate relay_cpu_ms_per_msg sys_cpu_ms_per_msg errors copies_rate"
# For seg-tdc, e2e is the originals' (the sink counted MSGS more) and
# copies_rate MSGS / time until the intake sink counted MSGS more copies;
# the CPU figures run until both are in (every copy's cost is counted).
relay_pids() { case $1 in postfix) pf_pids ;; direct) ;; *) echo "${SEG_PID[$1]}" ;; esac; }
wait_sink() {
  local port=$1 want=$2 name=$3 deadline=$((SECONDS + TIMEOUT))
  while [ "$(sink_count "$port")" -lt "$want" ]; do
    [ "$SECONDS" -ge "$deadline" ] && { log "$name: timeout, sink :$port has $(sink_count "$port") of $want"; break; }
    sleep 0.05
  done
}
round() {
  local name=$1 port=$PF_PORT base cbase t0 t1 t2 t3 c0 c1 s0 s1 errs copies=-
  case $name in postfix) ;; direct) port=$SINK_PORT ;; *) port=${SEG_PORTS[$name]} ;; esac
  base=$(sink_count $SINK_PORT); cbase=$(sink_count $TDC_SINK_PORT)
  # PROFILE: each round of a seg gets its own profile, NAME.cpu.pprof.N
  [ -n "$PROFILE" ] && [ -n "${SEG_PID[$name]:-}" ] && kill -USR1 "${SEG_PID[$name]}"
  c0=$(proc_ticks $(relay_pids "$name"))
  s0=$(sys_ticks); t0=$(now)
  smtp-source -s "$SESSIONS" -m "$MSGS" -l "$SIZE" -M client.test -f sender@client.test -t rcpt@example.test \
    $HOST:"$port" >/dev/null 2>"$OUT/source.err" || true
  t1=$(now); errs=$(wc -l < "$OUT/source.err")
  wait_sink $SINK_PORT $((base + MSGS)) "$name"
  t2=$(now)
  if [ "$name" = seg-tdc ]; then
    wait_sink $TDC_SINK_PORT $((cbase + MSGS)) "$name copies"
    t3=$(now); copies=$(calc "$MSGS / ($t3 - $t0)")
  fi
  s1=$(sys_ticks); c1=$(proc_ticks $(relay_pids "$name"))
  echo "$(calc "$MSGS / ($t1 - $t0)") $(calc "$MSGS / ($t2 - $t0)") $(calc "($c1 - $c0) * 1000 / $clk / $MSGS" 2) $(calc "($s1 - $s0) * 1000 / $clk / $MSGS" 2) $errs $copies"
}

declare -A ACC E2E CPU SYS
COPIES=
for r in $(seq "$REPS"); do
  for name in $RELAYS; do
    sleep 2
    set -- $(round "$name")
    ACC[$name]+="$1 " E2E[$name]+="$2 " CPU[$name]+="$3 " SYS[$name]+="$4 "
    extra=; [ "$6" != - ] && { COPIES+="$6 "; extra=" copies-e2e $6/s"; }
    log "round $r $name: accept $1/s e2e $2/s relay-cpu $3 ms/msg machine-cpu $4 ms/msg source-errors $5$extra"
  done
done
printf '\n%-11s %12s %12s %16s %18s\n' relay "accept/s" "e2e/s" "relay CPU ms/msg" "machine CPU ms/msg"
for name in $RELAYS; do
  printf '%-11s %12s %12s %16s %18s\n' $name "$(median ${ACC[$name]})" "$(median ${E2E[$name]})" "$(median ${CPU[$name]})" "$(median ${SYS[$name]})"
done
ratio() { want "$1" && want "$2" && printf '%s: %s\n' "$3" "$(calc "$(median ${E2E[$1]}) / $(median ${E2E[$2]})" 2)"; }
echo "medians of $REPS rounds each, $MSGS msgs x $SIZE B, $SESSIONS sessions"
ratio seg postfix "ratio seg/postfix e2e" || true
ratio seg direct "ratio seg/no-relay ceiling e2e (smtp-source straight into smtp-sink)" || true
ratio postfix direct "ratio postfix/no-relay ceiling e2e" || true
ratio seg-tdc seg-noscan "ratio TDC on/off e2e of the original mail (seg-tdc/seg-noscan)" || true
ratio seg-auth seg-noscan "ratio SPF+DKIM+DMARC verification on/off e2e (seg-auth/seg-noscan)" || true
ratio seg-sign seg "ratio DKIM signing on/off e2e of relayed mail (seg-sign/seg)" || true
for name in seg seg-noscan seg-tdc seg-auth seg-sign; do
  want $name && echo "peak RSS of $name: $(awk '/VmHWM/{print $2, $3}' /proc/${SEG_PID[$name]}/status)"
done
# LATENCY=1: acceptance latency (final dot to 250) of seg and Postfix,
# alternating, 20 sessions x LAT_MSGS messages of SIZE (bench/segbench).
declare -A P50 P99
if [ -n "${LATENCY:-}" ]; then
  go build -o "$OUT/segbench" ./bench/segbench
  for r in $(seq "$REPS"); do
    for name in seg postfix; do
      want $name || continue
      port=$PF_PORT; [ $name = seg ] && port=${SEG_PORTS[seg]}
      sleep 2
      j=$("$OUT/segbench" latency -addr $HOST:$port -sessions 20 -msgs "${LAT_MSGS:-2000}" -size "$SIZE")
      p50=$(echo "$j" | sed 's/.*"p50_ms":\([0-9.e+-]*\).*/\1/'); p99=$(echo "$j" | sed 's/.*"p99_ms":\([0-9.e+-]*\).*/\1/')
      P50[$name]+="$p50 " P99[$name]+="$p99 "
      log "latency round $r $name: $j"
    done
  done
  for name in seg postfix; do want $name && echo "acceptance latency of $name: p50 $(median ${P50[$name]}) ms, p99 $(median ${P99[$name]}) ms (medians of $REPS rounds)"; done
fi
# SUMMARY=FILE: one line per relay, for bench/table.sh:
#   NAME accept/s e2e/s relayCPUms/msg machineCPUms/msg peakRSSkB p50ms p99ms
if [ -n "${SUMMARY:-}" ]; then
  : > "$SUMMARY"
  for name in $RELAYS; do
    hwm=-; [ -n "${SEG_PID[$name]:-}" ] && hwm=$(awk '/VmHWM/{print $2}' /proc/${SEG_PID[$name]}/status)
    p50=-; p99=-; [ -n "${P50[$name]:-}" ] && { p50=$(median ${P50[$name]}); p99=$(median ${P99[$name]}); }
    echo "$name $(median ${ACC[$name]}) $(median ${E2E[$name]}) $(median ${CPU[$name]}) $(median ${SYS[$name]}) $hwm $p50 $p99" >> "$SUMMARY"
  done
fi
if want seg-tdc; then
  echo "journal copies at the intake sink: $(sink_count $TDC_SINK_PORT) (seg-tdc received $((MSGS * REPS))); copies e2e (until the last copy was in) median $(median $COPIES)/s"
fi
