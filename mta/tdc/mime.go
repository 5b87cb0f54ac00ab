package tdc

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// boundaryPrefix starts every journal boundary. "=_" cannot occur in
// quoted-printable or base64 text (RFC 2045 section 6.7 note), which
// makes a clash with the original unlikely even before it is checked.
const boundaryPrefix = "=_seg-tdc_"

// chooseBoundary returns a multipart boundary (RFC 2046 section 5.1.1)
// that occurs in none of parts. Random candidates are tried first; if
// rnd keeps producing clashing ones (it failed, or is a test's), a
// counter makes the candidates distinct: candidates of one length can
// occur at no more positions than the parts have bytes, so the loop ends.
func chooseBoundary(rnd io.Reader, body []byte, text string) string {
	for i := 0; ; i++ {
		b := boundaryPrefix + randHex(rnd, 12)
		if i > 0 {
			b += fmt.Sprintf(".%016x", i)
		}
		// 10 + 24 + 17 characters: under RFC 2046's 70.
		if !bytes.Contains(body, []byte(b)) && !strings.Contains(text, b) {
			return b
		}
	}
}

// randHex reads n bytes from rnd as hex; bytes rnd cannot give are zero
// (chooseBoundary copes with a failing reader).
func randHex(rnd io.Reader, n int) string {
	buf := make([]byte, n)
	_, _ = io.ReadFull(rnd, buf)
	return hex.EncodeToString(buf)
}

// transferEncoding is the Content-Transfer-Encoding that describes body
// as it is, without re-encoding it (RFC 2045 section 2.7-2.9): "7bit" for
// short CRLF lines of ASCII, "8bit" when there are octets over 127,
// "binary" for NUL, bare CR or LF, or lines over 998 octets.
func transferEncoding(body []byte) string {
	const maxLine = 998
	enc := "7bit"
	line := 0
	for i, c := range body {
		switch {
		case c == '\n':
			if i == 0 || body[i-1] != '\r' {
				return "binary"
			}
			line = 0
			continue
		case c == '\r':
			if i+1 >= len(body) || body[i+1] != '\n' {
				return "binary"
			}
			continue
		case c == 0:
			return "binary"
		case c >= 0x80:
			enc = "8bit"
		}
		line++
		if line > maxLine {
			return "binary"
		}
	}
	return enc
}
