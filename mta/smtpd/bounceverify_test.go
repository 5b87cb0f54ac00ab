package smtpd

import (
	"testing"
	"time"

	"seg/mta/bounceverify"
	"seg/store"
)

func bvEnv(t *testing.T, acceptUntagged string, withKey bool) (*env, store.BVKey) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{"accept_untagged_bounces": acceptUntagged}
	k := store.BVKey{Name: "k1", Number: 2, Secret: "s3cret", Created: testNow.Add(-time.Hour)}
	if withKey {
		cfg.BounceVerification.Keys = []store.BVKey{k}
	}
	return newEnv(t, cfg), k
}

func TestBounceVerification(t *testing.T) {
	e, k := bvEnv(t, "off", true)
	tagged := bounceverify.Sign("joe@example.com", bounceverify.Day(testNow)+3, k)
	forged := "prvs=2" + tagged[6:9] + "000000=joe@example.com"
	expired := bounceverify.Sign("joe@example.com", bounceverify.Day(testNow)-1, k)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<>", "250 ")
	for _, bad := range []string{"joe@example.com", forged, expired} {
		if got := c.cmd("RCPT TO:<" + bad + ">"); got != "550 5.7.1 Bounce verification failed" {
			t.Fatalf("RCPT TO:<%s> from <>: %q", bad, got)
		}
	}
	e.waitLog("Info: MID 1 ICID 1 invalid bounce, rcpt address <joe@example.com> rejected by bounce verification.")
	e.waitLog("Info: MID 1 ICID 1 invalid bounce, rcpt address <" + forged + "> rejected by bounce verification.")
	c.expect("RCPT TO:<"+tagged+">", "250 ")
	c.expect("DATA", "354 ")
	c.send("\r\nbody\r\n.\r\n")
	c.reply()
	m := e.q.messages()
	if len(m) != 1 || len(m[0].m.Rcpts) != 1 || m[0].m.Rcpts[0].Addr != "joe@example.com" {
		t.Fatalf("queued %+v, want one recipient joe@example.com (untagged)", m)
	}
	e.waitLog("Info: MID 1 ICID 1 RID 0 To: <joe@example.com>")

	// Normal mail is not checked, and keeps a tag-like recipient as it is.
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<joe@example.com>", "250 ")
	c.expect("RCPT TO:<"+forged+">", "250 ")
}

func TestBounceVerificationUntaggedAccepted(t *testing.T) {
	e, k := bvEnv(t, "on", true)
	forged := bounceverify.Sign("joe@example.com", bounceverify.Day(testNow)+3, store.BVKey{Number: k.Number, Secret: "wrong"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<>", "250 ")
	c.expect("RCPT TO:<joe@example.com>", "250 ")
	// An invalid tag is refused even so.
	c.expect("RCPT TO:<"+forged+">", "550 5.7.1 Bounce verification failed")
}

func TestBounceVerificationNoKeys(t *testing.T) {
	e, _ := bvEnv(t, "off", false)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<>", "250 ")
	c.expect("RCPT TO:<joe@example.com>", "250 ")
	c.expect("RCPT TO:<prvs=0123abcdef=joe@example.com>", "250 ")
}
