package tracking

import (
	"testing"
	"time"

	"seg/mta/maillog"
)

// FuzzParseLine: message tracking reads mail_logs files, which hold text
// clients chose (subjects, addresses, remote replies); no line may make
// the index panic, and every ID it reads is a positive number.
func FuzzParseLine(f *testing.F) {
	f.Add("Mon Dec  7 04:06:32 2026 Info: Start MID 12 ICID 3")
	f.Add("Mon Dec  7 04:06:32 2026 Info: MID 12 ICID 3 From: <a@b.test>")
	f.Add("Mon Dec  7 04:06:32 2026 Info: MID 12 ICID 3 RID 0 To: <c@d.test>")
	f.Add("Mon Dec  7 04:06:32 2026 Info: MID 12 Subject 'MID 9 \\x00 \\'q\\''")
	f.Add("Mon Dec  7 04:06:32 2026 Info: MID 13 was generated for bounce of MID 12")
	f.Add("Mon Dec  7 04:06:32 2026 Info: MID 12 Message-ID '<x@y>'")
	f.Add("Mon Dec  7 04:06:32 2026 Info: Delivery start DCID 5 MID 12 to RID [0, 1]")
	f.Fuzz(func(t *testing.T, line string) {
		_, msg, ok := splitLine(line, time.UTC)
		if !ok {
			msg = line
		}
		fa := parseLine(msg)
		for _, list := range [][]int64{fa.mids, fa.icids, fa.dcids} {
			for _, id := range list {
				if id < 0 { // ICID 0: a message seg generated ("Start MID 9 ICID 0")
					t.Fatalf("%q: ID %d", line, id)
				}
			}
		}
		if (fa.parent == 0) != (fa.child == 0) {
			t.Fatalf("%q: parent %d child %d", line, fa.parent, fa.child)
		}
	})
}

// FuzzUnrepr: what maillog.Repr writes, Unrepr reads back unchanged
// (tracking shows subjects and Message-IDs as they were sent).
func FuzzUnrepr(f *testing.F) {
	f.Add("plain")
	f.Add(`it's "quoted" \ back`)
	f.Add("tab\tnl\ncr\r\x00\x7f\xff")
	f.Add("'")
	f.Fuzz(func(t *testing.T, s string) {
		if got := Unrepr(maillog.Repr(s)); got != s {
			t.Fatalf("Unrepr(Repr(%q)) = %q", s, got)
		}
		_ = Unrepr(s)
	})
}
