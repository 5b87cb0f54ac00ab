package mta

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"seg/internal/mailapi"
	"seg/mta/tdc"
	"seg/mta/tracking"
)

// Message tracking (findevent, SPEC 13) reads the tracking index
// (mta/tracking) that cmd/seg feeds from the mail_logs writer: a few
// lines at known offsets, never a scan of the logs.

// noMatch is AsyncOS's answer when no message matches.
const noMatch = "No matching message IDs were found"

// trackingIndex returns the index with every line logged so far in it.
func (m *MTA) trackingIndex() (*tracking.Index, error) {
	if m.o.Tracking == nil {
		return nil, errors.New("Message tracking is not available: seg runs without its tracking index.")
	}
	// Lines still in the log writer's buffer are indexed but not yet
	// in the file: write them out before reading at their offsets.
	if fl, ok := m.o.Log.(interface{ Flush() error }); ok {
		_ = fl.Flush()
	}
	return m.o.Tracking, nil
}

// trackingQuery translates the shell's query.
func trackingQuery(q mailapi.EventQuery) (tracking.Query, error) {
	if !q.Valid() {
		return tracking.Query{}, fmt.Errorf("findevent needs one of --mid N, --from RE, --to RE, --subject RE, --message-id ID")
	}
	t := tracking.Query{MID: q.MID, MessageID: q.MessageID, Since: q.Since, Until: q.Until, Files: q.Files}
	for _, x := range []struct {
		pattern string
		re      **regexp.Regexp
	}{{q.From, &t.From}, {q.To, &t.To}, {q.Subject, &t.Subject}} {
		if x.pattern == "" {
			continue
		}
		re, err := regexp.Compile(x.pattern)
		if err != nil {
			return t, fmt.Errorf("Invalid regular expression %q: %v", x.pattern, err)
		}
		*x.re = re
	}
	return t, nil
}

// FindMessages returns the messages q chooses, in MID order.
func (m *MTA) FindMessages(q mailapi.EventQuery) ([]mailapi.TrackedMessage, error) {
	tq, err := trackingQuery(q)
	if err != nil {
		return nil, err
	}
	ix, err := m.trackingIndex()
	if err != nil {
		return nil, err
	}
	found, err := ix.Find(tq)
	if err != nil {
		return nil, fmt.Errorf("message tracking: %w", err)
	}
	out := make([]mailapi.TrackedMessage, len(found))
	for i, f := range found {
		out[i] = trackedMessage(f)
	}
	return out, nil
}

func trackedMessage(f tracking.Message) mailapi.TrackedMessage {
	return mailapi.TrackedMessage{MID: f.MID, Time: f.Time, From: f.From, To: f.To, Subject: f.Subject}
}

// TrackingFiles lists the mail_logs files the index holds, oldest first.
func (m *MTA) TrackingFiles() ([]mailapi.LogFile, error) {
	ix, err := m.trackingIndex()
	if err != nil {
		return nil, err
	}
	files, err := ix.Files()
	if err != nil {
		return nil, fmt.Errorf("message tracking: %w", err)
	}
	out := make([]mailapi.LogFile, len(files))
	for i, f := range files {
		out[i] = mailapi.LogFile{Name: f.Name, Begun: f.First}
	}
	return out, nil
}

// FindEvent prints what message tracking knows of the messages q
// chooses: several, a row each; one, every line of its life (its
// connection's lines, its deliveries and bounces, the messages generated
// from it: its journal copy, its DSN) and then the TDC tracking line of
// its journal copy; with q.Summary, the one-line view per message.
func (m *MTA) FindEvent(out io.Writer, q mailapi.EventQuery) error {
	found, err := m.FindMessages(q)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return errors.New(noMatch)
	}
	if len(found) > 1 && !q.Summary {
		for _, f := range found {
			fmt.Fprintln(out, f.Row())
		}
		return nil
	}
	ix := m.o.Tracking
	for _, f := range found {
		life, err := ix.Life(f.MID, q.Files)
		if err != nil {
			return fmt.Errorf("message tracking: %w", err)
		}
		if q.Summary {
			if err := summarize(out, ix, life, q.Files); err != nil {
				return err
			}
			continue
		}
		for _, l := range life.Lines {
			fmt.Fprintln(out, l)
		}
		for _, t := range tdcTracking(life.Lines) {
			fmt.Fprintln(out, t)
		}
	}
	return nil
}

// tdcTracking returns message tracking's TDC line per journaled message
// in the lines (tdc.Tracker: a copy's lines speak of its original): the
// last state logged, a final one never replaced by an earlier-looking
// one.
func tdcTracking(lines []string) []string {
	tracked := map[int64]string{}
	var order []int64
	var tracker tdc.Tracker
	for _, l := range lines {
		mid, track, ok := tracker.Line(l)
		if !ok {
			continue
		}
		if _, seen := tracked[mid]; !seen {
			order = append(order, mid)
		}
		if prev := tracked[mid]; prev == "" || prev == tdc.TrackQueued(mid) {
			tracked[mid] = track
		}
	}
	out := make([]string, len(order))
	for i, mid := range order {
		out[i] = tracked[mid]
	}
	return out
}

// summarize prints the one-line tracking view of each message of a life:
// "STATUS: MID n  date  from  to  subject" for the message and the
// messages generated from it (a DSN), and the TDC line of its journal
// copy (SPEC 6, 13).
func summarize(out io.Writer, ix *tracking.Index, life tracking.Life, files []string) error {
	tdcLines := tdcTracking(life.Lines)
	for i, mid := range life.MIDs {
		if i > 0 && namedByTDC(life.Lines, mid) {
			continue // a journal copy: its TDC line tells its story
		}
		found, err := ix.Find(tracking.Query{MID: mid, Files: files})
		if err != nil {
			return fmt.Errorf("message tracking: %w", err)
		}
		if len(found) == 0 {
			continue
		}
		fmt.Fprintf(out, "%s: %s\n", deliveryStatus(life.Lines, mid), trackedMessage(found[0]).Row())
	}
	for _, t := range tdcLines {
		fmt.Fprintln(out, t)
	}
	return nil
}

// namedByTDC reports whether a TDC line names MID mid.
func namedByTDC(lines []string, mid int64) bool {
	tok := "TDC: MID " + strconv.FormatInt(mid, 10) + " "
	for _, l := range lines {
		if strings.Contains(l, tok) {
			return true
		}
	}
	return false
}

// Per-recipient states, in the order a summary names them.
var statusOrder = []string{"Delivered", "Hard bounced", "Soft bounced", "Deleted"}

// deliveryStatus reads what became of mid's recipients from its lines:
// each recipient's last state (Message done: Delivered; Bounced: Hard
// bounced; Delayed or pending till: Soft bounced; Deleted), counted when
// they differ; without any, Aborted, Queued or Received.
func deliveryStatus(lines []string, mid int64) string {
	id := "MID " + strconv.FormatInt(mid, 10) + " "
	state := map[string]string{}
	status := "Received"
	for _, l := range lines {
		i := strings.Index(l, id)
		if i < 0 || i > 0 && l[i-1] != ' ' {
			continue
		}
		var s string
		switch {
		case strings.Contains(l, "Message done "+"DCID") && strings.Contains(l[i:], id+"to RID"):
			s = "Delivered"
		case strings.Contains(l, " Bounced: "):
			s = "Hard bounced"
		case strings.Contains(l, " Delayed: "), strings.Contains(l, " pending till "):
			s = "Soft bounced"
		case strings.Contains(l, " Deleted: "):
			s = "Deleted"
		case strings.Contains(l, "Message finished "+id+"aborted"), strings.Contains(l, "Message aborted "+id):
			status = "Aborted"
			continue
		case strings.HasSuffix(l, id+"queued for delivery"):
			if status == "Received" {
				status = "Queued"
			}
			continue
		default:
			continue
		}
		for _, r := range rids(l[i+len(id):]) {
			state[r] = s
		}
	}
	if len(state) == 0 {
		return status
	}
	count := map[string]int{}
	for _, s := range state {
		count[s]++
	}
	if len(count) == 1 {
		for s := range count {
			return s
		}
	}
	var parts []string
	for _, s := range statusOrder {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
		}
	}
	return strings.Join(parts, ", ")
}

// rids reads the recipients after "RID " in s: "RID [0, 1]" or "RID 0";
// "to [0, 1]" (Deleted:) too.
func rids(s string) []string {
	i := strings.Index(s, "RID ")
	if i < 0 {
		if i = strings.Index(s, "to ["); i < 0 {
			return []string{"?"}
		}
		i += len("to ")
	} else {
		i += len("RID ")
	}
	s = s[i:]
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return []string{"?"}
		}
		var out []string
		for _, r := range strings.Split(s[1:end], ",") {
			out = append(out, strings.TrimSpace(r))
		}
		return out
	}
	if sp := strings.IndexByte(s, ' '); sp >= 0 {
		s = s[:sp]
	}
	return []string{s}
}
