package configcmd

import (
	"strings"
	"testing"

	"seg/store"
)

func TestTdcconfigBatch(t *testing.T) {
	b := newBatch(t)
	want := "Threat Defense Connector: Disabled\nIncoming mail policies using it: None\n"
	if got := b.ok("tdcconfig print"); got != want {
		t.Errorf("print: %q", got)
	}
	b.fail("tdcconfig setup --enable yes", "Enabling the Threat Defense Connector needs the message intake address")
	b.fail("tdcconfig setup --enable yes --intake not-an-address", `"not-an-address" is not a valid email address (missing @domain).`)
	// The intake address becomes an envelope recipient: the SMTP
	// parser's rules apply, and it is stored as it will be sent.
	b.fail("tdcconfig setup --intake journal@xn--zz.example", "invalid IDNA A-label in domain")
	b.fail("tdcconfig setup --intake "+strings.Repeat("j", 65)+"@example.com", "local part longer than 64 octets")
	b.fail("tdcconfig setup --intake journal@example.com.", `write it as "journal@example.com"`)
	b.fail("tdcconfig setup --enable perhaps --intake a@b.c", "--enable must be yes or no")
	b.fail("tdcconfig setup", "Usage: tdcconfig setup")
	b.fail("tdcconfig setup --on=1", "Unknown option --on")
	b.fail("tdcconfig frob", `Unknown tdcconfig operation "frob"`)
	b.ok("tdcconfig setup --enable yes --intake journal@bcc-in.us.etd.cisco.com")
	if got := b.cfg().TDC; got != (store.TDC{Enabled: true, IntakeAddress: "journal@bcc-in.us.etd.cisco.com"}) {
		t.Errorf("tdc = %+v", got)
	}
	b.ok("policyconfig incoming edit DEFAULT --tdc default")
	b.commit()
	want = "Threat Defense Connector: Enabled\nMessage intake address: journal@bcc-in.us.etd.cisco.com\nIncoming mail policies using it: DEFAULT\n"
	if got := b.ok("tdcconfig print"); got != want {
		t.Errorf("print: %q", got)
	}
	b.ok("tdcconfig setup --enable no")
	if got := b.cfg().TDC; got.Enabled || got.IntakeAddress == "" {
		t.Errorf("disable lost the address or stayed on: %+v", got)
	}
	b.ok("tdcconfig setup --intake other@bcc-in.eu.etd.cisco.com")
	if got := b.cfg().TDC; got.Enabled || got.IntakeAddress != "other@bcc-in.eu.etd.cisco.com" {
		t.Errorf("tdc = %+v", got)
	}
	b.commit()
}

func TestTdcconfigTranscript(t *testing.T) {
	transcript(t, "tdcconfig_setup.txt")
}
