#!/usr/bin/env bash
# summary.sh [FILE]: the median and the spread (min–max) of each row of
# measure.sh's JSON lines, as a Markdown table.
set -euo pipefail
jq -rs '
  def med: sort | .[(length - 1) / 2 | floor];
  def cell(f; fmt): (map(f) | [med, min, max] | map(fmt)) as [$m, $lo, $hi] | "\($m) (\($lo)–\($hi))";
  def k: . / 1000 | floor | tostring + "k";
  def us: . * 10 | round / 10 | tostring;
  def readings: .scenario == "devices" or .scenario == "wamp-devices";
  "| row | runs | delivered/s or calls/s | ratio | p50 µs | p99 µs | max µs | KB/session | router CPU ms / 1,000 readings |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  (group_by(.row)[] |
    "| \(.[0].row) | \(length) | " +
    (if .[0].scenario == "fanout" then cell(.delivered_per_sec; k)
     elif .[0].scenario == "rpc" then cell(.calls_per_sec; k) else "" end) + " | " +
    (if .[0].scenario == "fanout" or (.[0] | readings) then cell(.delivery_ratio; . * 10000 | round / 10000 | tostring) else "" end) + " | " +
    (if .[0].latency then cell(.latency.p50_us; us) + " | " + cell(.latency.p99_us; us) + " | " + cell(.latency.max_us; us) else " |  | " end) + " | " +
    (if .[0].scenario == "idle" then cell(.kb_per_session; . * 100 | round / 100 | tostring) else "" end) + " | " +
    (if .[0] | readings then cell(.router_cpu_ms_per_1000; . * 10 | round / 10 | tostring) else "" end) + " |")
' "${1:-bench-results.jsonl}"
