package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeRecord: a stored revision is read back at every start and by
// rollbackconfig. Whatever bytes the database holds, decoding returns a
// snapshot or an error, never a panic; Validate then judges the tree
// without a panic; and a tree Validate accepts is one the store can hold:
// it encodes, decodes to the same tree, validates again, and its typed
// views (decodeParams, the lookups the MTA makes) work.
func FuzzDecodeRecord(f *testing.F) {
	for _, cfg := range []*Config{Default("seg.example.test", ""), Default("", "")} {
		enc, err := json.Marshal(cfg)
		if err != nil {
			f.Fatal(err)
		}
		rec, err := encodeRecord(Revision{Number: 3, User: "admin", Time: time.Unix(1e9, 0).UTC(), Comment: "c"}, enc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rec)
	}
	f.Add([]byte(`{"revision":{"number":1},"config":{}}`))
	f.Add([]byte(`{"revision":{"number":1},"config":null}`))
	f.Add([]byte(`{"revision":{"number":1},"config":{"listeners":[{"name":"x","hat":null}],"destinations":[{"domain":"a.test","params":{"max_host_concurrency":"x"}}]}}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		snap, err := decodeRecord(v)
		if err != nil {
			if snap != nil {
				t.Fatal("a snapshot returned with an error")
			}
			return
		}
		cfg := snap.Config
		if cfg.Validate() != nil {
			return
		}
		enc, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("a valid tree does not encode: %v", err)
		}
		var back Config
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("a valid tree's encoding does not decode: %v", err)
		}
		if !back.Equal(cfg) {
			t.Fatalf("a valid tree changes through its encoding:\n%s", enc)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("a valid tree is invalid after its encoding: %v", err)
		}
		back.decodeParams()
		_ = back.Clone()
		for _, d := range cfg.Destinations {
			_ = back.DestControls(d.Domain)
		}
		_ = back.DestControls("unknown.example.test")
		for _, b := range cfg.Bounce {
			_ = back.BounceSettings(b.Name)
		}
		_ = back.BounceSettings("")
		for _, l := range cfg.LogSubscriptions() {
			if l.Method == LogMethodSyslog && !strings.Contains(l.SyslogAddr(), ":") {
				t.Fatalf("valid syslog subscription %q has no port in %q", l.Name, l.SyslogAddr())
			}
		}
	})
}

// FuzzLogSizeTime: a log subscription's rollover size and time, as
// logconfig reads them, print back to text that reads the same value.
func FuzzLogSizeTime(f *testing.F) {
	for _, s := range []string{"10M", "1K", "1024", "3G", "0", "off", "1d", "90s", "-1m", " 5m ", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseLogSize(s); err == nil {
			if n < MinLogRolloverSize {
				t.Fatalf("ParseLogSize(%q) = %d, below the minimum", s, n)
			}
			if back, err := ParseLogSize(FormatLogSize(n)); err != nil || back != n {
				t.Fatalf("size %q = %d prints as %q, which reads %d, %v", s, n, FormatLogSize(n), back, err)
			}
		}
		if n, err := ParseLogTime(s); err == nil {
			if back, err := ParseLogTime(FormatLogTime(n)); err != nil || back != n {
				t.Fatalf("time %q = %d prints as %q, which reads %d, %v", s, n, FormatLogTime(n), back, err)
			}
		}
	})
}
