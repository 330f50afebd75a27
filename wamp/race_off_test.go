//go:build !race

package wamp

const raceEnabled = false
