#!/usr/bin/env bash
# Bounded SIPp load runs against the gatepbx binary on loopback:
#   1. REGISTER with digest at REG_RATE/s for BENCH_SECONDS,
#   2. calls 101 -> 102 through the B2BUA at CALL_RATE/s for BENCH_SECONDS
#      (callee: one SIPp UAS registered as 102), each held HOLD_MS.
# Prints achieved rates, failures and the appliance's RSS (idle and peak).
# MAX_TRANSACTIONS sets sip.max_transactions (default 0: automatic, from the
# memory limit); e.g. 8192, a 1 GB board's automatic value, shows the
# overload guard answering 503 (counted as failed calls) and bounding RSS.
set -euo pipefail
BIN=${1:-bin/gatepbx}
REG_RATE=${REG_RATE:-2000}
CALL_RATE=${CALL_RATE:-750}
BENCH_SECONDS=${BENCH_SECONDS:-20}
HOLD_MS=${HOLD_MS:-1000}
MAX_TRANSACTIONS=${MAX_TRANSACTIONS:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCN_TEST=$ROOT/firmware/app/testdata/sipp
SCN=$ROOT/scripts/sipp
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { # an even UDP+TCP port with the next three free
	local p
	for _ in $(seq 200); do
		p=$(( (RANDOM % 20000 + 40000) & ~1 ))
		if ! ss -Hlnu "( sport >= :$p and sport <= :$((p+3)) )" | grep -q . &&
			! ss -Hlnt "( sport = :$p )" | grep -q .; then echo "$p"; return; fi
	done
	echo "no free port" >&2; exit 1
}
rss() { awk '/^'"$2"':/ {print $2" "$3}' "/proc/$1/status"; }

SIP_PORT=$(free_port); API_PORT=$(free_port)
PW101=bench-101-$RANDOM$RANDOM; PW102=bench-102-$RANDOM$RANDOM
cat > "$WORK/gatepbx.yaml" <<YAML
data_dir: $WORK/data
log_level: warn
sip:
  bind_address: 127.0.0.1
  udp_port: $SIP_PORT
  tcp_port: 0
  tls_port: 0
  max_transactions: $MAX_TRANSACTIONS
rtp:
  port_min: 20000
  port_max: 39998
api:
  bind_address: 127.0.0.1
  port: $API_PORT
extensions:
  - {number: "101", kind: sip, password: "$PW101"}
  - {number: "102", kind: sip, password: "$PW102"}
YAML
"$BIN" -check-config "$WORK/gatepbx.yaml" >/dev/null
"$BIN" -config "$WORK/gatepbx.yaml" >"$WORK/gatepbx.log" 2>&1 &
GPID=$!; PIDS+=("$GPID")
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$API_PORT") 2>/dev/null && break
	sleep 0.1
done
sleep 1
echo "gatepbx pid $GPID, SIP udp 127.0.0.1:$SIP_PORT"
echo "idle RSS: $(rss "$GPID" VmRSS)"

render() { sed -e "s#{{USER}}#101#g" -e "s#{{TALK}}#$HOLD_MS#g" -e "s#{{CONTACTPORT}}#${2:-0}#g" "$1"; }
# stat_line FILE: "successful failed" from SIPp's -trace_stat CSV (last row).
stat_line() {
	awk -F';' 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="SuccessfulCall(C)") s=i; if ($i=="FailedCall(C)") f=i}} END {print $s" "$f}' "$1"
}
run_sipp() { # name, rate, count, scenario, service, user, pass, [extra]
	local name=$1 rate=$2 count=$3 scn=$4 svc=$5 user=$6 pass=$7; shift 7
	local port; port=$(free_port)
	local start end
	start=$(date +%s.%N)
	( cd "$WORK" && timeout $((BENCH_SECONDS * 3 + 30)) sipp -sf "$scn" -s "$svc" -i 127.0.0.1 -p "$port" \
		-r "$rate" -m "$count" -l $((rate * 4)) -buff_size 4194304 -nostdin -timeout $((BENCH_SECONDS * 3))s \
		-au "$user" -ap "$pass" -trace_stat -stf "$WORK/$name.csv" -fd 1 -max_retrans 3 -trace_err -error_file "$WORK/$name.err" \
		"$@" "127.0.0.1:$SIP_PORT" >"$WORK/$name.out" 2>&1 ) && rc=0 || rc=$?
	end=$(date +%s.%N)
	read -r ok failed < <(stat_line "$WORK/$name.csv")
	if [ "${failed:-0}" != 0 ] && [ -s "$WORK/$name.err" ]; then
		echo "--- $name: why calls failed (SIPp error log, first lines):"
		grep -E "Aborting|unexpected|timeout" "$WORK/$name.err" | sed 's/^.*: //' | cut -c1-160 | sort | uniq -c | sort -rn | head -5
	fi
	# The last calls finish HOLD seconds after the last one starts.
	awk -v n="$name" -v ok="$ok" -v f="$failed" -v s="$start" -v e="$end" -v rc="$rc" -v r="$rate" -v h="${HOLD:-0}" \
		'BEGIN {d=e-s-h; printf "%-9s target %d/s: %d ok, %d failed; started over %.1f s = %.0f/s sustained (sipp exit %d)\n", n, r, ok, f, d, ok/d, rc}'
}

render "$SCN_TEST/register.xml" >"$WORK/register.xml"
run_sipp register "$REG_RATE" $((REG_RATE * BENCH_SECONDS)) "$WORK/register.xml" 101 101 "$PW101"
echo "RSS after REGISTER load: $(rss "$GPID" VmRSS)"

UAS_PORT=$(free_port)
( cd "$WORK" && timeout $((BENCH_SECONDS * 3 + 60)) sipp -sf "$SCN/uas_load.xml" -i 127.0.0.1 -p "$UAS_PORT" \
	-mi 127.0.0.1 -mp $((UAS_PORT + 2)) -buff_size 4194304 -nostdin -bg >/dev/null 2>&1 ) || true
UPID=$(pgrep -f "sipp -sf $SCN/uas_load.xml -i 127.0.0.1 -p $UAS_PORT" | head -1 || true)
[ -n "$UPID" ] && PIDS+=("$UPID")
render "$SCN_TEST/register_contact.xml" "$UAS_PORT" >"$WORK/register_contact.xml"
run_sipp reg-102 1 1 "$WORK/register_contact.xml" 102 102 "$PW102" >/dev/null
render "$SCN/uac_load.xml" >"$WORK/uac.xml"
HOLD=$(awk -v m="$HOLD_MS" 'BEGIN {print m/1000}') run_sipp calls "$CALL_RATE" $((CALL_RATE * BENCH_SECONDS)) "$WORK/uac.xml" 102 101 "$PW101"
echo "RSS after call load: $(rss "$GPID" VmRSS), peak $(rss "$GPID" VmHWM)"
kill -TERM "$GPID"; wait "$GPID" 2>/dev/null || true
echo "appliance error log lines: $(grep -ci "level=error" "$WORK/gatepbx.log" || true)"
