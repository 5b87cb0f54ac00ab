package mta

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// Lifetime counters (status' Lifetime column) survive restarts in
// DATA/counters.json, saved every 10 s and at Close. A crash loses at
// most 10 s of lifetime counts; they are statistics, not mail.

func lifetimePath(dir string) string { return filepath.Join(dir, "counters.json") }

func loadLifetime(dir string) []int64 {
	b, err := os.ReadFile(lifetimePath(dir))
	if err != nil {
		return nil
	}
	var v []int64
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}

func (m *MTA) saveLifetime() {
	b, _ := json.Marshal(m.counters.Lifetime())
	p := lifetimePath(m.o.DataDir)
	tmp := p + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, p)
	}
}

func (m *MTA) saveLoop() {
	defer close(m.saveDone)
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.saveLifetime()
		case <-m.saveStop:
			m.saveLifetime()
			return
		}
	}
}
