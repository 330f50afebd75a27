#!/usr/bin/env bash
# paths.sh: the runs behind BENCHMARKS.md's "WebSocket, TLS and a fleet" section.
#
#   go build -o /tmp/sensorbridge ./cmd/sensorbridge && go build -o /tmp/wampbench ./cmd/wampbench
#   CERT=cert.pem KEY=key.pem cmd/wampbench/paths.sh paths|ab|joins|fleet
#
# PORT (default 19180 for paths and ab, 19280 for joins) is the first of the router's five ports; ROWS (paths
# and ab) lists the paths to run, of: rs ws-json ws-msgpack rss wss (default all).
#
# paths: fan-out 1->10, RPC 1x1 and 4x16 over rs://, ws:// (json, msgpack), rss://, wss:// against one
#        sensorbridge (core 0; generator on core 1), RUNS times in a rotating order, with the router's CPU
#        time per message (utime + stime from /proc/PID/stat around each run).
# ab:    paths for two builds side by side: A is $SB/$WB, B is $SB_B/$WB_B, each with its own router (B's on
#        PORT+100, both on core 0, one busy at a time); each run of a row goes to A then B (B then A on even runs),
#        so that both builds' figures come from the same minutes on a loaded machine. Rows are tagged "A ..."/"B ...".
# joins: router and client CPU per join, RawSocket and WebSocket, plain and TLS, full and resumed handshakes.
# fleet: wampbench fleet at GS gateways of 100 devices (1 reading/s).
# DUR (default 3s) is each paths/ab run's length: a 3-s RPC 4x16 rate spreads about ±20 % on this machine kind.
# Each run prints one JSON line to $OUT; every process started here is stopped by its PID.
set -euo pipefail
SB=${SB:-/tmp/sensorbridge}; WB=${WB:-/tmp/wampbench}; OUT=${OUT:-paths-results.jsonl}; RUNS=${RUNS:-3}
CERT=${CERT:-cert.pem}; KEY=${KEY:-key.pem}; N=${N:-1000}
what=${1:-paths}
start_router() { # start_router BASEPORT: rs on +1, ws on +0, rss on +3, wss on +4
	taskset -c 0 "$SB" -listen "rs://127.0.0.1:$(($1 + 1))" -listen "ws://127.0.0.1:$1/ws" -listen "rss://127.0.0.1:$(($1 + 3))" \
		-listen "wss://127.0.0.1:$(($1 + 4))/ws" -tls-cert "$CERT" -tls-key "$KEY" -log-level error &
	pid=$!
	pids+=("$pid")
	trap 'kill "${pids[@]}"; wait "${pids[@]}"' EXIT
	sleep 1
}
pids=()
url() { # url PATH BASEPORT: the URL of a row's path on the router of BASEPORT
	case $1 in
	rs) echo "rs://127.0.0.1:$(($2 + 1))" ;;
	ws-json) echo "ws://127.0.0.1:$2/ws?serializer=json" ;;
	ws-msgpack) echo "ws://127.0.0.1:$2/ws?serializer=msgpack" ;;
	rss) echo "rss://127.0.0.1:$(($2 + 3))" ;;
	wss) echo "wss://127.0.0.1:$(($2 + 4))/ws?serializer=msgpack" ;;
	esac
}
rows() { # the paths of ROWS, in their order in this list
	for row in rs ws-json ws-msgpack rss wss; do
		[[ " ${ROWS:-rs ws-json ws-msgpack rss wss} " == *" $row "* ]] && echo "$row"
	done
	return 0
}
scenarios=("fanout 1->10|fanout -pubs 1 -subs 10 -size 64" "rpc 1x1|rpc -callers 1 -inflight 1" "rpc 4x16|rpc -callers 4 -inflight 16")
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # the router's utime + stime, in 10 ms ticks
gen() { # gen LABEL ARGS...: one run, its JSON tagged with LABEL, the load average and the router's CPU per message
	local label=$1 c0 c1 out
	shift
	c0=$(cpu)
	out=$(taskset -c 1 "$WB" "$@" -duration "${DUR:-3s}" -json)
	c1=$(cpu)
	echo "$out" | jq -c --arg row "$label" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson c0 "$c0" --argjson c1 "$c1" \
		'. + {row: $row, loadavg: $load, router_cpu_s: (($c1 - $c0) / 100)} | . + {router_cpu_us_per_msg: (.router_cpu_s * 1e6 / ((.delivered // 0) + (.answered // 0)))}' >>"$OUT"
}
case $what in
paths)
	p=${PORT:-19180}
	start_router "$p"
	mapfile -t paths < <(rows)
	np=${#paths[@]}
	for i in $(seq "$RUNS"); do
		for k in $(seq 0 $((np - 1))); do # rotated each run, so that no path always runs first
			path=${paths[$(((k + i) % np))]}
			for sc in "${scenarios[@]}"; do
				gen "$path ${sc%%|*}" ${sc#*|} -url "$(url "$path" "$p")"
			done
		done
		echo "run $i done $(date +%T)" >&2
	done
	;;
ab)
	p=${PORT:-19180}
	start_router "$p"
	pa=$pid
	SB=${SB_B:?SB_B: the sensorbridge of build B} start_router $((p + 100))
	pb=$pid
	wa=$WB
	mapfile -t paths < <(rows)
	for i in $(seq "$RUNS"); do
		for path in "${paths[@]}"; do
			for sc in "${scenarios[@]}"; do
				order="A B"
				((i % 2)) || order="B A"
				for b in $order; do
					if [[ $b == A ]]; then pid=$pa WB=$wa base=$p; else pid=$pb WB=${WB_B:?WB_B: the wampbench of build B} base=$((p + 100)); fi
					gen "$b $path ${sc%%|*}" ${sc#*|} -url "$(url "$path" "$base")"
				done
			done
		done
		echo "run $i done $(date +%T)" >&2
	done
	;;
joins)
	p=${PORT:-19280}
	start_router "$p"
	for i in $(seq "$RUNS"); do
		for a in "rs://127.0.0.1:$((p + 1))" "rss://127.0.0.1:$((p + 3))" "rss://127.0.0.1:$((p + 3)) -resume" "rss://127.0.0.1:$((p + 3)) -curve x25519" \
			"rss://127.0.0.1:$((p + 3)) -curve x25519 -resume" "ws://127.0.0.1:$p/ws" "wss://127.0.0.1:$((p + 4))/ws" "wss://127.0.0.1:$((p + 4))/ws -resume"; do
			taskset -c 1 "$WB" joins -url $a -joins "$N" -router-pid "$pid" -json >>"$OUT"
		done
		echo "run $i done $(date +%T)" >&2
	done
	;;
fleet)
	for g in ${GS:-10 25 50 50 50}; do
		timeout 300 "$WB" fleet -sensorbridge "$SB" -gateways "$g" -devices "${DEVICES:-100}" -duration 20s -warmup 3s -json >>"$OUT"
		echo "G=$g done $(date +%T)" >&2
	done
	;;
*)
	echo "usage: paths.sh paths|joins|fleet" >&2
	exit 2
	;;
esac
