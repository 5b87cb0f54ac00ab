package logsub

import (
	"errors"
	"fmt"
	"testing"
)

type named int64

func (n named) String() string { return "named" }

// sprintf's text is fmt.Sprintf's, for the formats it builds itself and
// for those it hands to fmt.
func TestSprintfIsFmt(t *testing.T) {
	cases := []struct {
		format string
		args   []any
	}{
		{"MID %d ICID %d RID %d To: <%s>", []any{int64(12), int64(7), 0, "a@b.test"}},
		{"Start MID %d ICID %d", []any{int64(1), int64(2)}},
		{"MID %d ready %d bytes from <%s>", []any{int64(3), 4096, "s@c.test"}},
		{"Delivery start DCID %d MID %d to RID [%s]", []any{int64(9), int64(3), "0, 1"}},
		{"%v and %v", []any{"x", -5}},
		{"100%% of %d", []any{uint64(18446744073709551615)}},
		{"%d %d %d %d", []any{int32(-1), uint32(4), uint(5), int(-9223372036854775807) - 1}},
		{"%s", []any{"%d"}},
		{"trailing %", []any{}},
		{"trailing % %d", []any{1}},
		{"%d", []any{"not a number"}},
		{"%s", []any{42}},
		{"%s", []any{errors.New("boom")}},
		{"%s", []any{nil}},
		{"%v", []any{named(3)}},
		{"%d", []any{named(3)}},
		{"%q", []any{"quoted"}},
		{"%5d|%-3s|%x", []any{1, "a", 255}},
		{"%d %d", []any{1}},
		{"%d", []any{1, 2}},
		{"%[1]d", []any{1}},
		{"%v", []any{[]int{1, 2}}},
		{"%s", []any{[]byte("bytes")}},
		{"no verbs", []any{1}},
		{"", []any{}},
	}
	for _, c := range cases {
		if got, want := sprintf(c.format, c.args...), fmt.Sprintf(c.format, c.args...); got != want {
			t.Errorf("sprintf(%q, %v) = %q, fmt says %q", c.format, c.args, got, want)
		}
	}
}

func FuzzSprintf(f *testing.F) {
	f.Add("MID %d ICID %d RID %d To: <%s>", int64(1), "a@b", uint32(7))
	f.Add("%v%%%s%d%", int64(-3), "%d", uint32(0))
	f.Add("%s %d %v %x", int64(0), "", uint32(1))
	f.Fuzz(func(t *testing.T, format string, i int64, s string, u uint32) {
		for _, args := range [][]any{{i, s, u}, {s, i}, {u}, {}} {
			if got, want := sprintf(format, args...), fmt.Sprintf(format, args...); got != want {
				t.Fatalf("sprintf(%q, %v) = %q, fmt says %q", format, args, got, want)
			}
		}
	})
}
