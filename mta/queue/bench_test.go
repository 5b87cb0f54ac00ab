package queue

import (
	"runtime"
	"testing"
)

// BenchmarkEnqueue4KiB measures durable enqueues of 4 KiB messages: from
// 20 concurrent sessions (group commit) and from one (one fsync each).
func BenchmarkEnqueue4KiB(b *testing.B) {
	body := testBody(1, 4096)
	for _, c := range []struct {
		name string
		opts Options
	}{{"parallel20", Options{}}, {"parallel20-stamped", Options{Stamper: &countStamper{}}}} {
		b.Run(c.name, func(b *testing.B) { benchParallel(b, c.opts, body) })
	}
	b.Run("serial", func(b *testing.B) {
		q := mustOpen(b, b.TempDir(), Options{})
		defer q.Close()
		b.SetBytes(int64(len(body)))
		b.ResetTimer()
		for range b.N {
			m := testMsg(q.NextMID(), 2)
			if err := q.Enqueue(m, body); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// benchParallel enqueues from 20 concurrent sessions (group commit).
func benchParallel(b *testing.B, opts Options, body []byte) {
	q := mustOpen(b, b.TempDir(), opts)
	defer q.Close()
	b.SetParallelism((20 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := testMsg(q.NextMID(), 2)
			if err := q.Enqueue(m, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
