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
	if bytes.IndexByte(body, 0) >= 0 {
		return "binary"
	}
	// Line by line with IndexByte (this runs on every journaled message
	// before its 250): each LF must close a CRLF, no CR may stand alone,
	// no line may pass 998 octets.
	for rest := body; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			if i == 0 || rest[i-1] != '\r' {
				return "binary"
			}
			line = rest[:i-1]
			rest = rest[i+1:]
		} else {
			rest = nil
		}
		if len(line) > maxLine || bytes.IndexByte(line, '\r') >= 0 {
			return "binary"
		}
	}
	for _, c := range body {
		if c >= 0x80 {
			return "8bit"
		}
	}
	return "7bit"
}
