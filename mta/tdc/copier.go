package tdc

import (
	"time"

	"seg/mta/queue"
	"seg/store"
)

// Copier makes journal copies for mta/smtpd (smtpd.Deps.Journal): each is
// a queue.Derived, enqueued in the same write as the message it copies
// (queue.EnqueueWith), so the copy is durable exactly when the original
// is, and the original's body is written once. Building it is a scan of
// the body for a MIME boundary and its transfer encoding; delivering it
// is the.tdc.queue's business, and the original never waits for that.
type Copier struct {
	NewMID func() int64     // the queue's NextMID
	Now    func() time.Time // stamps the copy, which starts its Lifetime; nil: time.Now
}

// Copy returns the journal copy of m, a received message or a part of one
// split by mail policy (mta/mailpolicy) whose policy is rule (nil: it matched
// none), with body, the bytes it is stored and delivered with; and the
// copy's mail_logs lines: made (LogMade) to write before it is queued,
// so that none of its delivery's lines can come first, and queued
// (LogQueued) for once it is. ok is false, and nothing is made, when the
// part is not journaled: mail received under RELAY (the outgoing table
// is never journaled), or Intake is "" (SPEC 2, 6).
func (c Copier) Copy(cfg *store.Config, m *queue.Message, rule *store.MailPolicy, body []byte) (journal queue.Derived, made, queued []string, ok bool) {
	if m.Relayed {
		return queue.Derived{}, nil, nil, false
	}
	intake := Intake(cfg, rule)
	if intake == "" {
		return queue.Derived{}, nil, nil, false
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	jm, prefix, suffix := Journal(m, body, intake, JournalParams{NewMID: c.NewMID, Hostname: cfg.System.Hostname, Now: now()})
	return queue.Derived{Msg: jm, Prefix: prefix, Suffix: suffix}, LogMade(jm), LogQueued(jm, m, intake), true
}

// Intake is the message intake address an incoming policy journals to:
// "" when TDC is disabled, p is nil or its TDC setting is off (or names no
// address), the global intake address for "default", its own for
// "custom"; a policy that inherits uses the DEFAULT policy's setting
// (store.EffectiveTDC).
func Intake(cfg *store.Config, p *store.MailPolicy) string {
	if !cfg.TDC.Enabled || p == nil {
		return ""
	}
	switch mode, addr := cfg.EffectiveTDC(p); mode {
	case store.TDCDefault:
		return cfg.TDC.IntakeAddress
	case store.TDCCustom:
		return addr
	}
	return ""
}
