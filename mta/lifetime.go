package mta

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"seg/mta/counters"
)

// Lifetime counters (status' Lifetime column) survive restarts and
// crashes. Every queue commit journals them (lifetimeStamper): the
// fdatasync that makes a 250 or a delivery result durable makes the
// counts taken before it durable too, so kill -9 or a power cut never
// lowers them. They are also saved in DATA/counters.json every 10 s and
// at Close, which keeps the counts of events the queue never journals
// (a rejected recipient) to within 10 s. At start each total is the
// larger of the two.

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

// lifetimeStamper journals the lifetime totals with each queue commit
// (queue.Stamper): a varint per counter, in counters.Counter order; a
// journal of an older release with fewer counters restores those it has.
type lifetimeStamper struct{ c *counters.Counters }

func (s lifetimeStamper) Stamp() []byte {
	life := s.c.Lifetime()
	b := make([]byte, 0, len(life)*binary.MaxVarintLen64)
	for _, v := range life {
		b = binary.AppendVarint(b, v)
	}
	return b
}

func (s lifetimeStamper) Recovered(b []byte) { s.c.Restore(decodeLifetime(b)) }

// decodeLifetime reads a stamp; it stops at the first bad varint (a
// stamp passed its journal checksum, so that is a stamp of another
// format, and what came before it is still right).
func decodeLifetime(b []byte) []int64 {
	var out []int64
	for len(b) > 0 {
		v, n := binary.Varint(b)
		if n <= 0 {
			break
		}
		out = append(out, v)
		b = b[n:]
	}
	return out
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
