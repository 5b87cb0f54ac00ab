//go:build race

package segtest

const raceEnabled = true
