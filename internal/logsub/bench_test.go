package logsub

import (
	"testing"
	"time"

	"seg/internal/aslog"
	"seg/store"
)

// The cost the subscriptions add to a mail_logs line: the level check
// and the fan-out, against writing to the aslog.Log directly.
func BenchmarkWriterInfo(b *testing.B) {
	m := New(Options{Dir: b.TempDir(), File: aslog.Options{Now: time.Now}})
	defer m.Close()
	m.Apply([]store.LogSubscription{store.NewFileLog("mail_logs", store.LogMailLogs)}, "h")
	w := m.Writer(store.LogMailLogs)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w.Info("MID %d ICID %d RID %d To: <%s>", i, i, 0, "someone@example.com")
	}
}

func BenchmarkAslogInfo(b *testing.B) {
	l, _ := aslog.Open(b.TempDir(), "mail_logs", aslog.Options{Now: time.Now})
	defer l.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Info("MID %d ICID %d RID %d To: <%s>", i, i, 0, "someone@example.com")
	}
}
