package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
)

// startCPUProfile profiles the whole process into path until the
// returned stop is called (bench/relay.sh PROFILE=1 uses it to show
// where a relayed message's CPU goes). Each SIGUSR1 ends the current
// file and starts the next, path.1, path.2...: one profile per benchmark
// round.
func startCPUProfile(path string) (stop func(), err error) {
	var mu sync.Mutex
	var f *os.File
	start := func(name string) error {
		nf, err := os.Create(name)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(nf); err != nil {
			nf.Close()
			return fmt.Errorf("cpu profile: %w", err)
		}
		f = nf
		return nil
	}
	end := func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
			f = nil
		}
	}
	if err := start(path); err != nil {
		return nil, err
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-usr1:
			}
			mu.Lock()
			end()
			start(fmt.Sprintf("%s.%d", path, n))
			mu.Unlock()
		}
	}()
	return func() {
		signal.Stop(usr1)
		close(done)
		mu.Lock()
		end()
		mu.Unlock()
	}, nil
}
