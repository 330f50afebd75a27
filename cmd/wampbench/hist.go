package main

import (
	"math/bits"
	"time"
)

// A histogram records latencies (nanoseconds) in log-linear buckets: exact
// below 128 ns, then 64 buckets per power of two (under 1.6 % error). It is
// owned by one goroutine; merge combines them at the end of a run.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits // buckets per power of two
	histBuckets = 2*histSub + (63-histSubBits)*histSub
)

// bucketOf returns the bucket index of v (v >= 0).
func bucketOf(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // >= 1
	return 2*histSub + (shift-1)*histSub + int(v>>shift) - histSub
}

// bucketLow returns the smallest value of bucket i.
func bucketLow(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	i -= 2 * histSub
	shift := i/histSub + 1
	return uint64(i%histSub+histSub) << shift
}

// record adds one latency.
func (h *histogram) record(d int64) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

// merge adds o's records to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the latency at quantile q in (0, 1]: the midpoint of
// the bucket holding it (the recorded maximum for the last one).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketLow(i), bucketLow(i+1)
			mid := int64(lo + (hi-lo)/2)
			return time.Duration(min(mid, h.max))
		}
	}
	return time.Duration(h.max)
}

// latency is the summary of a histogram in a report, in microseconds.
type latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_us"`
	P90   float64 `json:"p90_us"`
	P99   float64 `json:"p99_us"`
	Max   float64 `json:"max_us"`
}

// summary returns h's percentiles, nil when it holds nothing.
func (h *histogram) summary() *latency {
	if h.n == 0 {
		return nil
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	return &latency{Count: h.n, P50: us(h.quantile(0.50)), P90: us(h.quantile(0.90)),
		P99: us(h.quantile(0.99)), Max: us(time.Duration(h.max))}
}
