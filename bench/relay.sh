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
#   TDC=off|on|noscan
#     off: mail from 127.0.0.1 is relayed (RELAYLIST, the outgoing table)
#     on: 127.0.0.1 sends as an ALLOWED_LIST ($TRUSTED) host, recipients
#         pass the RAT and match the incoming policy DEFAULT, which
#         journals every message to a second sink (the.tdc.queue)
#     noscan: as on, with the policy's TDC off: the baseline for on
# Needs: smtp-source, smtp-sink, postfix (Debian package postfix), go.
# Loopback only: every address is 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
MSGS=${MSGS:-10000} SIZE=${SIZE:-4096} SESSIONS=${SESSIONS:-20} REPS=${REPS:-3}
OUT=${OUT:-/tmp/seg-bench} TDC=${TDC:-off} TIMEOUT=${TIMEOUT:-600}
SEG_PORT=${SEG_PORT:-2725} PF_PORT=${PF_PORT:-2625} SINK_PORT=${SINK_PORT:-2626}
TDC_SINK_PORT=${TDC_SINK_PORT:-2627} SSH_PORT=${SSH_PORT:-2722}
HOST=127.0.0.1
# Two runs at once would share these ports: the second's seg could not
# bind and its smtp-source would load the first's seg, spoiling both.
for p in $SEG_PORT $PF_PORT $SINK_PORT $TDC_SINK_PORT $SSH_PORT; do
  if (exec 3<>/dev/tcp/$HOST/$p) 2>/dev/null; then
    echo "port $p is in use (another bench/relay.sh?): wait, or set SEG_PORT PF_PORT SINK_PORT TDC_SINK_PORT SSH_PORT" >&2
    exit 1
  fi
done
mkdir -p "$OUT"; rm -rf "$OUT"/seg "$OUT"/pf
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
now() { date +%s.%N; }
calc() { awk "BEGIN{printf \"%.${2:-1}f\", ($1)}"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{printf "%.1f", (NR%2?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2)}'; }
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
SEGD=$OUT/seg-data SEG_PID=
start_seg() {
  rm -rf "$SEGD"; mkdir -p "$SEGD"
  local cfg="listenerconfig edit IncomingMail setup --port $SEG_PORT ; sshconfig setup --port $SSH_PORT ; smtproutes new example.test $HOST:$SINK_PORT"
  if [ "$TDC" != off ]; then
    # Relayed mail is never journaled (SPEC 2): receive as incoming mail.
    local tdc=default; [ "$TDC" = noscan ] && tdc=off
    cfg="$cfg ; listenerconfig edit IncomingMail hostaccess edit sendergroup RELAYLIST --remove $HOST"
    cfg="$cfg ; listenerconfig edit IncomingMail hostaccess edit sendergroup ALLOWED_LIST --add $HOST"
    cfg="$cfg ; listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT"
    cfg="$cfg ; smtproutes new intake.test $HOST:$TDC_SINK_PORT ; tdcconfig setup --enable yes --intake journal@intake.test ; policyconfig incoming edit DEFAULT --tdc $tdc"
  fi
  SEG_ADMIN_PASSWORD=bench-password "$OUT/seg" cli --data "$SEGD" "$cfg ; commit bench" >/dev/null
  "$OUT/seg" run --data "$SEGD" > "$OUT/seg.out" 2>&1 & SEG_PID=$!
  wait_port $SEG_PORT
}
seg_queue_empty() { "$OUT/seg" cli --data "$SEGD" workqueue 2>/dev/null | grep -q 'Messages In Work Queue: *0\|No messages' ; }

cleanup() { [ -n "$SEG_PID" ] && kill "$SEG_PID" 2>/dev/null; stop_postfix; for p in "${SINKS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start_sink $SINK_PORT; [ "$TDC" != off ] && start_sink $TDC_SINK_PORT
start_postfix; start_seg
log "seg pid $SEG_PID on :$SEG_PORT, postfix on :$PF_PORT, sink :$SINK_PORT, TDC=$TDC, $MSGS x $SIZE B, $SESSIONS sessions, $REPS rounds each"

# round NAME PORT -> "accept_rate e2e_rate relay_cpu_ms_per_msg sys_cpu_ms_per_msg errors"
round() {
  local name=$1 port=$2 base t0 t1 t2 c0 c1 s0 s1 errs pids
  base=$(sink_count $SINK_PORT)
  if [ "$name" = seg ]; then c0=$(proc_ticks "$SEG_PID"); else pids=$(pf_pids); c0=$(proc_ticks $pids); fi
  s0=$(sys_ticks); t0=$(now)
  smtp-source -s "$SESSIONS" -m "$MSGS" -l "$SIZE" -M client.test -f sender@client.test -t rcpt@example.test \
    $HOST:"$port" >/dev/null 2>"$OUT/source.err" || true
  t1=$(now); errs=$(wc -l < "$OUT/source.err")
  local deadline=$((SECONDS + TIMEOUT))
  while [ "$(sink_count $SINK_PORT)" -lt $((base + MSGS)) ]; do
    [ "$SECONDS" -ge "$deadline" ] && { log "$name: timeout, sink has $(( $(sink_count $SINK_PORT) - base ))"; break; }
    sleep 0.05
  done
  t2=$(now); s1=$(sys_ticks)
  if [ "$name" = seg ]; then c1=$(proc_ticks "$SEG_PID"); else c1=$(proc_ticks $(pf_pids)); fi
  echo "$(calc "$MSGS / ($t1 - $t0)") $(calc "$MSGS / ($t2 - $t0)") $(calc "($c1 - $c0) * 1000 / $clk / $MSGS" 2) $(calc "($s1 - $s0) * 1000 / $clk / $MSGS" 2) $errs"
}

declare -A ACC E2E CPU SYS
for r in $(seq "$REPS"); do
  for name in seg postfix; do
    port=$SEG_PORT; [ "$name" = postfix ] && port=$PF_PORT
    sleep 2
    set -- $(round $name $port)
    ACC[$name]+="$1 " E2E[$name]+="$2 " CPU[$name]+="$3 " SYS[$name]+="$4 "
    log "round $r $name: accept $1/s e2e $2/s relay-cpu $3 ms/msg machine-cpu $4 ms/msg source-errors $5"
  done
done
seg_e2e=$(median ${E2E[seg]}) pf_e2e=$(median ${E2E[postfix]})
printf '\n%-8s %12s %12s %16s %18s\n' relay "accept/s" "e2e/s" "relay CPU ms/msg" "machine CPU ms/msg"
for name in seg postfix; do
  printf '%-8s %12s %12s %16s %18s\n' $name "$(median ${ACC[$name]})" "$(median ${E2E[$name]})" "$(median ${CPU[$name]})" "$(median ${SYS[$name]})"
done
printf 'ratio seg/postfix e2e (medians): %s (TDC=%s, %d rounds each, %d msgs x %d B, %d sessions)\n' \
  "$(calc "$seg_e2e / $pf_e2e" 2)" "$TDC" "$REPS" "$MSGS" "$SIZE" "$SESSIONS"
echo "peak RSS of seg: $(awk '/VmHWM/{print $2, $3}' /proc/$SEG_PID/status)"
if [ "$TDC" != off ]; then
  sleep 2
  echo "journal copies at the intake sink: $(sink_count $TDC_SINK_PORT) (seg received $((MSGS * REPS)))"
fi
