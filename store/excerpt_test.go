package store

import (
	"fmt"
	"strings"
	"testing"
)

func TestExcerpt(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  `""`,
		"10.1.1.300":                        `"10.1.1.300"`,
		`a"b\c`:                             `"a\"b\\c"`,
		"123456789012345678901234":          `"123456789012345678901234"`,
		"1234567890123456789012345":         `"123456789012345678901234"...`,
		"tab\there\x00nul\xffbyte":          `"tab?here?nul?byte"`,
		"ünï":                               `"??n??"`,
		"-----BEGIN PRIVATE KEY-----MIIEvQ": `"-----BEGIN PRIVATE KEY--"...`,
	} {
		if got := Excerpt(in); got != want {
			t.Errorf("Excerpt(%q) = %s, want %s", in, got, want)
		}
	}
	if got := ExcerptBare(`$A"very-long-policy-name-indeed`); got != `$A"very-long-policy-name...` {
		t.Errorf("ExcerptBare = %s", got)
	}
}

// secretToken is a line no parser accepts: a long token standing for a
// key or a password in a file imported by mistake (or malice).
const secretToken = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secretsecretsecret"

// TestParsersQuoteNoMoreThanAnExcerpt: whatever the file, a problem
// quotes at most ExcerptMax characters of it, and an import reports at
// most MaxProblems problems and a count.
func TestParsersQuoteNoMoreThanAnExcerpt(t *testing.T) {
	var lines []string
	for i := 0; i < 40; i++ {
		lines = append(lines, fmt.Sprintf("%s%02d", secretToken, i))
	}
	for _, text := range []string{
		strings.Join(lines, "\n"),
		"    " + strings.Join(lines, "\n    "),            // indented
		"[DEFAULT]\n" + strings.Join(lines, " = x\n"),     // as keys
		"[DEFAULT]\nuse_tls = " + secretToken + "\n",      // as a value
		"[" + secretToken + "]\nuse_tls = on\n",           // as a section
		"$P\n    ACCEPT {\n        " + secretToken + "\n", // in a block
		"G:\n    $P\n    " + secretToken + "\nALL\n    REJECT\n",
		secretToken + " ACCEPT\n" + secretToken + " ACCEPT\n",
		"x ACCEPT " + secretToken + "=1\n",
	} {
		_, _, derr := ParseDestFile("f", strings.NewReader(text))
		_, herr := ParseHAT("f", strings.NewReader(text), nil)
		_, rerr := ParseRAT("f", strings.NewReader(text))
		for _, err := range []error{derr, herr, rerr} {
			if err == nil {
				t.Fatalf("%q parsed", text)
			}
			msg := err.Error()
			if strings.Contains(msg, secretToken[:ExcerptMax+1]) || strings.Contains(msg, secretToken[ExcerptMax:ExcerptMax+8]) {
				t.Errorf("the message quotes more than %d characters of the file:\n%s", ExcerptMax, msg)
			}
			if n := strings.Count(msg, "\n") + 1; n > MaxProblems+1 {
				t.Errorf("%d lines of problems, want at most %d:\n%s", n, MaxProblems+1, msg)
			}
		}
	}
}

func TestProblemsCap(t *testing.T) {
	// 25 bad members, then a build-time problem about an early line: the
	// lowest-numbered ten are kept, in line order.
	var b strings.Builder
	b.WriteString("G:\n    $MISSING\n")
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&b, "    10.1.1.%d\n", 300+i)
	}
	b.WriteString("ALL\n    REJECT\n")
	_, err := ParseHAT("hat.txt", strings.NewReader(b.String()), nil)
	le, ok := err.(*LineErrors)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	if len(le.Problems) != MaxProblems+1 {
		t.Fatalf("%d problems:\n%s", len(le.Problems), err)
	}
	if !strings.HasPrefix(le.Problems[0], "hat.txt:2: unknown policy $MISSING") ||
		!strings.HasPrefix(le.Problems[1], `hat.txt:3: Invalid IP or IP range "10.1.1.300"`) ||
		le.Problems[MaxProblems] != "... and 16 more problems" {
		t.Errorf("problems:\n%s", err)
	}

	var p Problems
	for i := 0; i < 11; i++ {
		p.Addf("p%d", i)
	}
	if got := strings.Join(p.List(), "|"); got != "p0|p1|p2|p3|p4|p5|p6|p7|p8|p9|... and 1 more problem" || p.Len() != 11 {
		t.Errorf("List = %s, Len %d", got, p.Len())
	}
}
