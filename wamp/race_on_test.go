//go:build race

package wamp

const raceEnabled = true
