//go:build race

package rawsocket

const raceEnabled = true
