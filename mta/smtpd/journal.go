package smtpd

import (
	"seg/mta/queue"
	"seg/store"
)

// JournalFunc makes the journal copy of a received message, or of one
// part of it split by mail policy (mta/mailpolicy), when its policy says so
// (SPEC 6): mta/tdc's Copier.Copy, wired by mta/mta.go, so that smtpd
// depends on neither tdc nor delivery. rule is the policy the part
// matched (mailpolicy.Part.Rule: nil when none did); body is the part's body
// as stored and must not be changed. The copy is queued with the part, in
// the same write, before the client has its 250, so that a copy exists
// exactly when the part was accepted. made are the copy's mail_logs lines
// up to its queueing (its Start MID ... ready), written before the write
// so that no line of its delivery can precede them, as the part's own
// are; queued are written once it is queued. ok false: no copy.
type JournalFunc func(cfg *store.Config, m *queue.Message, rule *store.MailPolicy, body []byte) (journal queue.Derived, made, queued []string, ok bool)
