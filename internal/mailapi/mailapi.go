// Package mailapi holds the request types of the shell's mail-system
// commands: the arguments of shell.MailSystem's methods (declared by its
// consumer, shell/mailsystem.go), which mta implements. It is a leaf that
// both layers import, so that neither imports the other (shell never
// imports mta/, mta/ never imports shell/) and the values cross the
// boundary typed, not as command-line strings parsed a second time.
//
// The shell has checked every value against the rules below before it
// calls; the MTA still refuses a value outside them with an error, never
// a guess.
package mailapi

import (
	"fmt"
	"strings"
	"time"
)

// HostOrder is tophosts' sort order, numbered as its menu (and as
// AsyncOS numbers it).
type HostOrder int

// The tophosts sort orders.
const (
	ByActiveRecipients HostOrder = iota + 1
	ByConnectionsOut
	ByDeliveredRecipients
	ByHardBounced
	BySoftBounced
)

// Valid reports whether o is one of the five orders.
func (o HostOrder) Valid() bool { return o >= ByActiveRecipients && o <= BySoftBounced }

// Selector chooses queued recipients for showrecipients,
// deleterecipients, bouncerecipients and redirectrecipients: exactly one
// of its fields is set.
type Selector struct {
	Domain string // recipient host or recipient domain, lower case
	Sender string // envelope sender address; "<>" for the null sender
	All    bool
}

// Valid reports whether exactly one field is set.
func (s Selector) Valid() bool {
	n := 0
	for _, set := range []bool{s.Domain != "", s.Sender != "", s.All} {
		if set {
			n++
		}
	}
	return n == 1
}

// EventQuery chooses the messages findevent shows: exactly one of MID,
// From, To, Subject and MessageID is set. From, To and Subject are
// regular expressions (Go syntax, matched case-insensitively) against the
// envelope sender, the recipients and the subject; MessageID is the
// Message-ID header (exact, with or without its angle brackets).
type EventQuery struct {
	MID       int64 // > 0
	From      string
	To        string
	Subject   string
	MessageID string
	// Since and Until bound when the message began (zero: open).
	Since, Until time.Time
	// Files names the mail_logs files searched, as TrackingFiles lists
	// them (nil: all).
	Files []string
	// Summary prints message tracking's one line per message instead of
	// its log lines (findevent --summary).
	Summary bool
}

// Valid reports whether exactly one key is set and the time bounds are
// in order.
func (q EventQuery) Valid() bool {
	n := 0
	for _, set := range []bool{q.MID > 0, q.From != "", q.To != "", q.Subject != "", q.MessageID != ""} {
		if set {
			n++
		}
	}
	return n == 1 && q.MID >= 0 && (q.Since.IsZero() || q.Until.IsZero() || !q.Until.Before(q.Since))
}

// TrackedMessage is one message findevent found: what its list shows.
type TrackedMessage struct {
	MID     int64
	Time    time.Time // when it began (zero: not in the files searched)
	From    string    // envelope sender ("" for <>)
	To      []string  // envelope recipients
	Subject string
}

// LogFile is one mail_logs file message tracking can search.
type LogFile struct {
	Name  string    // "mail_logs" (the current file) or mail_logs.@STAMP.s
	Begun time.Time // its first line's stamp (zero: empty)
}

// DestState is a destination's live delivery state, which destconfig
// detail shows beside the destination's settings.
type DestState struct {
	Known       bool // delivery has a record of the destination
	Connections int  // outbound connections open now
	Queued      int  // active recipients
	Suspended   bool // suspenddel
	Down        bool // the last attempt could not connect
	// The recipient limit (0: none), its window in minutes, whether it
	// counts per MX address and per source address, and the recipients
	// in the current window (the busiest address's when counted per
	// address or source).
	RecipientLimit, RecipientMinutes int
	PerIP, PerSource                 bool
	WindowUsed                       int
	Addresses                        []AddrState
	LastTLS                          string // "" when no connection has said
	LastDANE                         string // "" when DANE has not been checked
}

// AddrState is one limit count of a destination: an MX address (with
// limit_type MXIP) and a source address (with limit_apply VG), "" where
// the count covers all of them.
type AddrState struct {
	IP, Source  string
	Connections int
	WindowUsed  int
}

// Row is the message's line in findevent's list, as SPEC 13 has it:
// "MID n  date  from  to  subject", two spaces between fields, the date
// in the log's ctime form (local time), the addresses in angle brackets,
// the subject last and as is (control characters shown as spaces).
func (m TrackedMessage) Row() string {
	date := "-"
	if !m.Time.IsZero() {
		date = m.Time.Local().Format("Mon Jan _2 15:04:05 2006")
	}
	to := make([]string, len(m.To))
	for i, r := range m.To {
		to[i] = "<" + r + ">"
	}
	rcpts := strings.Join(to, ", ")
	if rcpts == "" {
		rcpts = "-"
	}
	subject := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, m.Subject)
	return fmt.Sprintf("MID %d  %s  <%s>  %s  %s", m.MID, date, m.From, rcpts, subject)
}

// TraceRequest is trace's envelope (SPEC 13): what a client would send,
// to be run through a session of the configuration the shell passes
// along with it, without sending anything.
type TraceRequest struct {
	// Uncommitted: the configuration is the session's candidate, with
	// changes not committed yet; Revision is the running revision it
	// derives from (or is).
	Uncommitted bool
	Revision    int
	SourceIP    string // an IP address
	SourcePort  int    // 0: none given
	FQDN        string // "": the reverse DNS is looked up
	// SBRS is the client's SenderBase Reputation Score (-10.0 to 10.0)
	// when SBRSGiven; else the score is looked up in the SBRS zones.
	SBRS      float64
	SBRSGiven bool
	Listener  string // "": the first listener
	HELO      string
	From      string   // "": the null sender <>
	Rcpts     []string // at least one
	// Message is the message data (nil: trace makes a short test
	// message); MessageFile is the file it was read from, for the report.
	Message     []byte
	MessageFile string
}
