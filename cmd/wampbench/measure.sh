#!/usr/bin/env bash
# measure.sh: the runs behind BENCHMARKS.md. Each row is run three times
# (RUNS=3); each run prints one JSON object to $OUT (default
# bench-results.jsonl), which summary.sh turns into the table.
#
# The router is pinned to core 0 and the generator to core 1 with taskset.
# Every load run is bounded (-duration, 3s by default) and the routers started
# here are stopped by their PID when the script ends.
#
#   go build -o /tmp/sensorbridge ./cmd/sensorbridge
#   go build -o /tmp/wampbench ./cmd/wampbench
#   cmd/wampbench/measure.sh [sensorbridge|minirouter|mosquitto|floor|all|idle|devices|serial]
#
# "idle" holds 5,000 idle sessions on a fresh sensorbridge (limits.max_sessions
# 6000) and 5,000 idle MQTT clients on a fresh Mosquitto, alternating, and
# reads their memory 8 s after the last join (after the gateway's heap trim).
# "devices" runs wampbench devices (N = 1,000 and 10,000 at 1 reading/s, 4
# backends, 100 calls/s, DEVDUR long) against sensorbridge with its uplink on
# (to a wampbench serve upstream, pinned with the generator) and the same N
# against Mosquitto; CPU time per reading comes from the router's rusage.
# In the same minutes, floor/floor.c gives the floor of that load (its relay,
# no protocol, forwarding each reading to 5 subscribers: the 4 backends and
# the uplink) and times sensorbridge again under its C generator
# (wamp-devices: the readings without the calls, read by 4 wildcard
# subscribers), which tells the gateway's latency from wampbench's.
#
# "serial" runs wampbench serial (a device on a pty line paced at 115,200 and
# 250,000 baud, sensorbridge's serial listener at the other end, pinned to
# the router's core), MessagePack and JSON, SERDUR flat out each.
#
# "floor" runs floor/floor.c (built with gcc): a C epoll relay that does no
# work, timed on the latency rows' paths, pinned like the routers. It is
# the best any router could do on this machine.
#
# Rows can be filtered afterwards with jq; summary.sh prints the table.
set -euo pipefail

SB=${SB:-/tmp/sensorbridge}
WB=${WB:-/tmp/wampbench}
MOSQ=${MOSQ:-/usr/sbin/mosquitto}
OUT=${OUT:-bench-results.jsonl}
RUNS=${RUNS:-3}
DEVDUR=${DEVDUR:-15s}
SERDUR=${SERDUR:-5s}
UP_PORT=${UP_PORT:-19600}
DUR=${DUR:-3s}
PORT=${PORT:-19081}
MQTT_PORT=${MQTT_PORT:-19883}
ROUTER_CPU=${ROUTER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
what=${1:-all}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }
trap cleanup EXIT

wait_port() { # wait_port PORT: until something listens (at most 5s)
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}

gen() { # gen LABEL ARGS...: one generator run, pinned, its JSON tagged with LABEL
	local label=$1
	shift
	taskset -c "$GEN_CPU" "$WB" "$@" -duration "$DUR" -json | jq -c --arg row "$label" '. + {row: $row}' >>"$OUT"
}

wamp_rows() { # wamp_rows ROUTER URL
	local r=$1 url=$2
	for i in $(seq "$RUNS"); do
		gen "$r fanout 1->10" fanout -url "$url" -pubs 1 -subs 10 -size 64
		gen "$r fanout 1->100" fanout -url "$url" -pubs 1 -subs 100 -size 64
		gen "$r latency 1000/s ->10" fanout -url "$url" -pubs 1 -subs 10 -size 64 -rate 1000
		gen "$r rpc 1x1" rpc -url "$url" -callers 1 -inflight 1
		gen "$r rpc 4x16" rpc -url "$url" -callers 4 -inflight 16
		echo "$r run $i done" >&2
	done
}

start_sensorbridge() {
	taskset -c "$ROUTER_CPU" "$SB" -listen "rs://127.0.0.1:$PORT" -log-level error &
	pids+=($!)
	wait_port "$PORT"
}

sensorbridge() {
	start_sensorbridge
	wamp_rows sensorbridge "rs://127.0.0.1:$PORT"
	cleanup
	# Memory: a fresh router per run (a heap grown by earlier runs would
	# absorb new sessions unseen); sensorbridge holds 1,024 sessions at most.
	for i in $(seq "$RUNS"); do
		start_sensorbridge
		gen "sensorbridge idle 1000" idle -url "rs://127.0.0.1:$PORT" -sessions 1000 -router-pid "${pids[-1]}"
		cleanup
	done
}

minirouter() { # wampbench serve: minirouter alone, with room for 5,000 sessions
	for i in $(seq "$RUNS"); do
		taskset -c "$ROUTER_CPU" "$WB" serve -listen "rs://127.0.0.1:$PORT" -max-sessions 20000 -for 10m >/dev/null &
		pids+=($!)
		wait_port "$PORT"
		gen "minirouter idle 5000" idle -url "rs://127.0.0.1:$PORT" -sessions 5000 -parallel 32 -router-pid "${pids[-1]}"
		cleanup
	done
}

start_mosquitto() { # start_mosquitto [EXTRA CONFIG LINE]
	local conf
	conf=$(mktemp)
	printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n%s\n' "$MQTT_PORT" "${1:-}" >"$conf"
	taskset -c "$ROUTER_CPU" "$MOSQ" -c "$conf" 2>/dev/null &
	pids+=($!)
	wait_port "$MQTT_PORT"
	rm -f "$conf"
}

mosquitto() {
	# Debian's defaults (Nagle on: mosquitto batches small writes in the kernel).
	start_mosquitto
	for i in $(seq "$RUNS"); do
		gen "mosquitto fanout 1->10" fanout -mqtt "tcp://127.0.0.1:$MQTT_PORT" -pubs 1 -subs 10 -size 64
		gen "mosquitto fanout 1->100" fanout -mqtt "tcp://127.0.0.1:$MQTT_PORT" -pubs 1 -subs 100 -size 64
		gen "mosquitto latency 1000/s ->10" fanout -mqtt "tcp://127.0.0.1:$MQTT_PORT" -pubs 1 -subs 10 -size 64 -rate 1000
		echo "mosquitto run $i done" >&2
	done
	cleanup
	# With set_tcp_nodelay, the configuration for low latency.
	start_mosquitto "set_tcp_nodelay true"
	for i in $(seq "$RUNS"); do
		gen "mosquitto nodelay latency 1000/s ->10" fanout -mqtt "tcp://127.0.0.1:$MQTT_PORT" -pubs 1 -subs 10 -size 64 -rate 1000
	done
	cleanup
}

floor_bin() { # floor_bin: builds floor/floor.c into a temporary file and prints its path
	local bin
	bin=$(mktemp)
	gcc -O2 -pthread -o "$bin" "$(dirname "$0")/floor/floor.c"
	echo "$bin"
}

floor() { # the machine's floor for the latency rows (floor/floor.c)
	local bin secs=${DUR%s}
	bin=$(floor_bin)
	for i in $(seq "$RUNS"); do
		taskset -c "$ROUTER_CPU" "$bin" relay "$PORT" 120 &
		pids+=($!)
		wait_port "$PORT"
		taskset -c "$GEN_CPU" "$bin" fanout "$PORT" 10 "$secs" | jq -c '. + {row: "floor latency 1000/s ->10"}' >>"$OUT"
		taskset -c "$GEN_CPU" "$bin" rpc "$PORT" "$secs" | jq -c '. + {row: "floor rpc 1x1"}' >>"$OUT"
		cleanup
		echo "floor run $i done" >&2
	done
	rm -f "$bin"
}

start_config_sensorbridge() { # start_config_sensorbridge JSON: sensorbridge with this config file
	local conf
	conf=$(mktemp)
	printf '%s\n' "$1" >"$conf"
	taskset -c "$ROUTER_CPU" "$SB" -config "$conf" -listen "rs://127.0.0.1:$PORT" -log-level error &
	pids+=($!)
	wait_port "$PORT"
	rm -f "$conf"
}

idle() { # 5,000 idle sessions: sensorbridge as shipped against Mosquitto, fresh processes
	for i in $(seq "$RUNS"); do
		start_config_sensorbridge '{"limits": {"max_sessions": 6000}}'
		gen "sensorbridge idle 5000" idle -url "rs://127.0.0.1:$PORT" -sessions 5000 -parallel 32 -settle 8s -router-pid "${pids[-1]}"
		cleanup
		start_mosquitto "max_connections -1"
		gen "mosquitto idle 5000" idle -mqtt "tcp://127.0.0.1:$MQTT_PORT" -sessions 5000 -parallel 32 -settle 8s -router-pid "${pids[-1]}"
		cleanup
		echo "idle run $i done" >&2
	done
}

start_gateway() { # start_gateway: a wampbench serve upstream (on the generator's core) and sensorbridge uplinked to it
	taskset -c "$GEN_CPU" "$WB" serve -listen "rs://127.0.0.1:$UP_PORT" -max-sessions 20000 -for 10m >/dev/null &
	pids+=($!)
	wait_port "$UP_PORT"
	start_config_sensorbridge '{"limits": {"max_sessions": 12000, "memory_budget": 268435456}, "uplink": {"url": "rs://127.0.0.1:'"$UP_PORT"'", "publish": [{"local": "bench.dev."}], "queue_size": 100000}}'
}

devices() { # the gateway's load: sensorbridge with its uplink on, against Mosquitto and the floor
	local fbin secs=${DEVDUR%s}
	fbin=$(floor_bin)
	for n in 1000 10000; do
		for i in $(seq "$RUNS"); do
			start_gateway
			DUR=$DEVDUR gen "sensorbridge devices $n" devices -url "rs://127.0.0.1:$PORT" -devices "$n" -backends 4 -call-rate 100 \
				-upstream "rs://127.0.0.1:$UP_PORT" -router-pid "${pids[-1]}"
			cleanup
			start_mosquitto "max_connections -1
set_tcp_nodelay true"
			DUR=$DEVDUR gen "mosquitto devices $n" devices -mqtt "tcp://127.0.0.1:$MQTT_PORT" -devices "$n" -backends 4 -router-pid "${pids[-1]}"
			cleanup
			taskset -c "$ROUTER_CPU" "$fbin" relay "$PORT" $((secs + 60)) &
			pids+=($!)
			wait_port "$PORT"
			taskset -c "$GEN_CPU" "$fbin" devices "$PORT" "$n" 5 "$secs" "${pids[-1]}" | jq -c --arg row "floor devices $n" '. + {row: $row}' >>"$OUT"
			cleanup
			start_gateway
			taskset -c "$GEN_CPU" "$fbin" wamp-devices "$PORT" "$n" 4 "$secs" "${pids[-1]}" |
				jq -c --arg row "sensorbridge devices $n (C generator)" '. + {row: $row}' >>"$OUT"
			cleanup
			echo "devices $n run $i done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
		done
	done
	rm -f "$fbin"
}

serial() { # the serial link: goodput of 64-byte readings and the call round trip over a paced pty line
	for b in 115200 250000; do
		for s in msgpack json; do
			for i in $(seq "$RUNS"); do
				taskset -c "$GEN_CPU" "$WB" serial -sensorbridge "$SB" -router-cpu "$ROUTER_CPU" -baud "$b" -serializer "$s" \
					-duration "$SERDUR" -json | jq -c --arg row "serial $b $s" '. + {row: $row}' >>"$OUT"
			done
			echo "serial $b $s done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
		done
	done
}

case $what in
sensorbridge | minirouter | mosquitto | floor | idle | devices | serial) "$what" ;;
all) sensorbridge; minirouter; mosquitto; floor ;;
*) echo "usage: $0 [sensorbridge|minirouter|mosquitto|floor|all|idle|devices|serial]" >&2; exit 2 ;;
esac
