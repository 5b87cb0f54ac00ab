package msgheader

import (
	"testing"
)

func TestSplit(t *testing.T) {
	msg := "From: a@b.test\r\n" +
		"Subject: one\r\n two\r\n\tthree\r\n" +
		"NoColon line\n" +
		"DKIM-Signature: v=1;\r\n d=b.test\r\n" +
		"\r\n" +
		"Body-Field: not a header\r\n"
	fields, end := Split([]byte(msg))
	if len(fields) != 4 {
		t.Fatalf("%d fields: %+v", len(fields), fields)
	}
	want := []struct{ name, raw, value string }{
		{"From", "From: a@b.test\r\n", "a@b.test"},
		{"Subject", "Subject: one\r\n two\r\n\tthree\r\n", "one two\tthree"},
		{"NoColon line", "NoColon line\n", ""},
		{"DKIM-Signature", "DKIM-Signature: v=1;\r\n d=b.test\r\n", "v=1; d=b.test"},
	}
	for i, w := range want {
		f := fields[i]
		if f.Name() != w.name || string(f.Raw) != w.raw || f.Value() != w.value || msg[f.Start:f.Start+len(f.Raw)] != w.raw {
			t.Errorf("field %d: %q %q %q at %d, want %q %q %q", i, f.Name(), f.Raw, f.Value(), f.Start, w.name, w.raw, w.value)
		}
	}
	if msg[end:end+2] != "\r\n" || msg[end+2:] != "Body-Field: not a header\r\n" {
		t.Errorf("header ends at %d: %q", end, msg[end:])
	}
	if got := All([]byte(msg), "dkim-signature"); len(got) != 1 || got[0].Name() != "DKIM-Signature" {
		t.Errorf("All: %+v", got)
	}
	// No empty line: the header runs to the end.
	if f, end := Split([]byte("A: 1\r\nB: 2")); len(f) != 2 || end != 10 || string(f[1].Raw) != "B: 2" {
		t.Errorf("unterminated header: %+v, %d", f, end)
	}
	// A leading continuation line is a field of its own, as the DKIM
	// library reads it.
	if f, _ := Split([]byte(" x: 1\r\nA: 2\r\n\r\n")); len(f) != 2 || f[0].Name() != "x" {
		t.Errorf("leading continuation: %+v", f)
	}
}

// Each stops when f says so, and tells a stop from the end of the header.
func TestEachStops(t *testing.T) {
	msg := []byte("A: 1\r\nB: 2\r\n 3\r\nC: 4\r\n\r\nbody\r\n")
	var seen []string
	end := Each(msg, func(f Field) bool {
		seen = append(seen, f.Name()+"="+f.Value())
		return !f.Is("b")
	})
	if end != -1 || len(seen) != 2 || seen[1] != "B=2 3" {
		t.Errorf("stopped at B: end %d, seen %q", end, seen)
	}
	if end := Each(msg, func(Field) bool { return true }); end != 22 {
		t.Errorf("to the end: %d, want 22", end)
	}
	if f, _ := Split([]byte("NoColon\r\nA: 1\r\n\r\n")); len(f) != 2 || f[0].Colon || !f[1].Colon {
		t.Errorf("colons: %+v", f)
	}
}
