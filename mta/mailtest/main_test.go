// Package mailtest proves seg's mail path end to end: the real binary
// (`seg run`, `seg cli`), real SMTP clients (swaks, Python's smtplib,
// Postfix's smtp-source, go-smtp), real receiving servers and a real DNS
// server, all on loopback.
package mailtest

import (
	"testing"

	"seg/internal/segtest"
)

func TestMain(m *testing.M) { segtest.Main(m) }
