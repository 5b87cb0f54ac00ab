package configcmd

import (
	"strings"
	"testing"

	"seg/internal/mailapi"
	"seg/shell"
)

func TestDestconfigSourceIP(t *testing.T) {
	b := newBatch(t)
	b.ok("destconfig new example.com --limit_apply=VG --source_ip=127.0.0.5,::ffff:127.0.0.6")
	if p := b.cfg().Destination("example.com").Params; p["source_ip"] != "127.0.0.5,::ffff:127.0.0.6" {
		t.Errorf("params %v", p)
	}
	b.fail("destconfig new x.org --source_ip=mail.x.org", `source_ip: "mail.x.org" is not an IP address of this machine`)
	b.fail("destconfig new x.org --source_ip=0.0.0.0", "is not an IP address")
	b.fail("destconfig new x.org --source_ip=127.0.0.5,127.0.0.5", "is listed twice")
	b.ok("destconfig edit example.com --source_ip=")
	if b.cfg().Destination("example.com").Params.Has("source_ip") {
		t.Error("source_ip not removed")
	}
}

// liveMail answers DestinationState; the other methods are not called.
type liveMail struct {
	shell.MailSystem
	asked []string
	st    mailapi.DestState
}

func (m *liveMail) DestinationState(d string) (mailapi.DestState, error) {
	m.asked = append(m.asked, d)
	return m.st, nil
}

func TestDestconfigDetailLiveState(t *testing.T) {
	b := newBatch(t)
	b.ok("destconfig new example.com --limit_type=MXIP --recipient_limit=10 --recipient_minutes=5")
	ms := &liveMail{st: mailapi.DestState{
		Known: true, Connections: 3, Queued: 120, RecipientLimit: 10, RecipientMinutes: 5, PerIP: true, WindowUsed: 7,
		LastTLS: "success TLSv1.3",
		Addresses: []mailapi.AddrState{
			{IP: "127.0.0.2", Connections: 2, WindowUsed: 7},
			{IP: "127.0.0.3", Connections: 1, WindowUsed: 3},
		},
	}}
	b.h.S.Mail = ms
	out := b.ok("destconfig detail EXAMPLE.com")
	want := `
    Live state:
    Delivery:                     up
    Current connections:          3
    Queued recipients:            120
    Recipient limit window:       7 of 10 recipients in the last 5 minutes (the busiest address)
    Last TLS status:              success TLSv1.3
    Last DANE status:             not checked
    Per address:
        127.0.0.2: 2 connections, 7 recipients in the window
        127.0.0.3: 1 connections, 3 recipients in the window
`
	if !strings.HasSuffix(out, want) || !strings.Contains(out, "Recipient limit:              10 per 5 minutes\n") {
		t.Errorf("detail:\n%s\nwant it to end:\n%s", out, want)
	}
	if len(ms.asked) != 1 || ms.asked[0] != "example.com" {
		t.Errorf("asked %q", ms.asked)
	}
	ms.st = mailapi.DestState{}
	if out := b.ok("destconfig detail example.com"); !strings.HasSuffix(out, "    Live state:\n    No mail queued or in delivery for this destination.\n") {
		t.Errorf("unknown destination:\n%s", out)
	}
	// detail all shows settings only.
	if out := b.ok("destconfig detail all"); strings.Contains(out, "Live state") {
		t.Errorf("detail all:\n%s", out)
	}
}
