package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile profiles the whole process into path until the
// returned stop is called (bench/relay.sh PROFILE=1 uses it to show
// where a relayed message's CPU goes).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
