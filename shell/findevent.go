package shell

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"seg/internal/mailapi"
)

// findevent (SPEC 13; AsyncOS's dialog, reference/asyncos-cli.md section
// 8). Batch: one key, optional time bounds and --summary; the mail system
// lists several matches or prints the one's life. Interactive: the
// search, the log, the set of log files, then a numbered list to pick
// one message when several match.

const findeventUsage = "Usage: findevent --mid N | --from REGEX | --to REGEX | --subject REGEX | --message-id ID [--since TIME --until TIME] [--summary]"

// noMatch is AsyncOS's answer when nothing matches.
const noMatch = "No matching message IDs were found"

func findeventCmd() mailCmd {
	keys := []string{"mid", "from", "to", "subject", "message-id"}
	return mailCmd{
		name: "findevent", help: "Find a message's events in mail_logs (message tracking).",
		usage: []string{
			"findevent --mid N | --from REGEX | --to REGEX | --subject REGEX | --message-id ID",
			"    [--since TIME --until TIME] [--summary]   (TIME: YYYY-MM-DD[THH:MM[:SS]], local time, or RFC 3339)",
		},
		access: AccessReadOnly,
		sub:    []string{"--mid", "--from", "--to", "--subject", "--message-id", "--since", "--until", "--summary"},
		check: func(c *Ctx, args []string) (mailCall, error) {
			o, err := ParseOpts(args, "summary")
			if err != nil {
				return nil, err
			}
			if err := o.Only(append(keys, "since", "until", "summary")...); err != nil {
				return nil, err
			}
			if len(o.Pos) > 0 {
				return nil, fmt.Errorf("Unknown argument %q. %s", o.Pos[0], findeventUsage)
			}
			var q mailapi.EventQuery
			n := 0
			for _, k := range keys {
				v, ok := o.Named[k]
				if !ok {
					continue
				}
				n++
				if err := setEventKey(&q, k, v); err != nil {
					return nil, err
				}
			}
			if n != 1 {
				return nil, errors.New(findeventUsage)
			}
			for _, k := range []string{"since", "until"} {
				if v, ok := o.Named[k]; ok {
					t, err := parseEventTime(v, k == "until")
					if err != nil {
						return nil, err
					}
					if k == "since" {
						q.Since = t
					} else {
						q.Until = t
					}
				}
			}
			if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
				return nil, errors.New("--until is before --since.")
			}
			if v, ok := o.Named["summary"]; ok {
				if v != "on" {
					return nil, errors.New("--summary takes no value.")
				}
				q.Summary = true
			}
			return findEvent(q), nil
		},
		ask: askFindevent,
	}
}

func findEvent(q mailapi.EventQuery) mailCall {
	return func(ms MailSystem, w io.Writer) error { return ms.FindEvent(w, q) }
}

// setEventKey sets the query's key k (an option name) to v, checked.
func setEventKey(q *mailapi.EventQuery, k, v string) error {
	if k == "mid" {
		mid, err := checkMID(v)
		q.MID = mid
		return err
	}
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("--%s needs a value. %s", k, findeventUsage)
	}
	if k != "message-id" {
		if _, err := regexp.Compile(v); err != nil {
			return fmt.Errorf("Invalid regular expression %q: %v", v, err)
		}
	}
	switch k {
	case "from":
		q.From = v
	case "to":
		q.To = v
	case "subject":
		q.Subject = v
	default:
		q.MessageID = strings.TrimSpace(v)
	}
	return nil
}

// eventTimeLayouts are the forms --since and --until accept, in local
// time (the log's) unless the form carries a zone.
var eventTimeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseEventTime reads TIME; a date alone means its whole day (until:
// the day's end).
func parseEventTime(s string, until bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range eventTimeLayouts {
		t, err := time.ParseInLocation(l, s, time.Local)
		if err != nil {
			continue
		}
		if until && l == "2006-01-02" {
			t = t.AddDate(0, 0, 1).Add(-time.Second)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("Not a valid time: %q (use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] in local time, or RFC 3339).", s)
}

// askFindevent is AsyncOS's findevent dialog.
func askFindevent(c *Ctx) (mailCall, error) {
	ms, err := c.Mail()
	if err != nil {
		return nil, err
	}
	var q mailapi.EventQuery
	i, err := c.Choose("Please choose which type of search you want to perform:",
		[]string{"Search by envelope FROM", "Search by Message ID", "Search by Subject", "Search by envelope TO"}, 1)
	if err != nil {
		return nil, err
	}
	if i == 1 {
		_, err = c.AskRequired("Enter the Message ID (MID) to search for.", "", func(s string) (string, error) {
			n, err := checkMID(s)
			q.MID = n
			return strconv.FormatInt(n, 10), err
		})
	} else {
		key := [...]string{"from", "", "subject", "to"}[i]
		_, err = c.AskRequired("Enter the regular expression to search for.", "", func(s string) (string, error) {
			return s, setEventKey(&q, key, s)
		})
	}
	if err != nil {
		return nil, err
	}
	// Message tracking reads the mail_logs subscription: the only log of
	// that type seg writes.
	if _, err := c.Choose("Enter the number of the log you wish to use for message tracking.", []string{"mail_logs"}, 1); err != nil {
		return nil, err
	}
	set, err := c.Choose("Please choose which set of logs to search:",
		[]string{"All available log files", "Select log files by date list", "Current log file"}, 1)
	if err != nil {
		return nil, err
	}
	switch set {
	case 1:
		if q.Files, err = askLogFiles(c, ms); err != nil {
			return nil, err
		}
	case 2:
		q.Files = []string{"mail_logs"}
	}
	if q.MID > 0 {
		return findEvent(q), nil
	}
	found, err := ms.FindMessages(q)
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, errors.New(noMatch)
	case 1:
		return findEvent(mailapi.EventQuery{MID: found[0].MID, Files: q.Files}), nil
	}
	rows := make([]string, len(found))
	for i, m := range found {
		rows[i] = m.Row()
	}
	k, err := c.Choose("The following matching message IDs were found. Please choose one to show additional log information:", rows, 1)
	if err != nil {
		return nil, err
	}
	return findEvent(mailapi.EventQuery{MID: found[k].MID, Files: q.Files}), nil
}

// askLogFiles lists the mail_logs files by start time and reads a
// choice of them: numbers, a comma-separated list, ranges (2-4).
func askLogFiles(c *Ctx, ms MailSystem) ([]string, error) {
	files, err := ms.TrackingFiles()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("There are no mail log files to search.")
	}
	c.Printf("Available mail log files, listed by log file start time.\n")
	for i, f := range files {
		begun := "(empty)"
		if !f.Begun.IsZero() {
			begun = f.Begun.Local().Format("Mon Jan _2 15:04:05 2006")
		}
		c.Printf("%d. %s  %s\n", i+1, begun, f.Name)
	}
	var chosen []string
	_, err = c.AskRequired("Enter the numbers of the log files to search, separated by commas, or a range (e.g. 1-3).", "",
		func(s string) (string, error) {
			nums, err := parseNumberList(s, len(files))
			if err != nil {
				return "", err
			}
			chosen = chosen[:0]
			for _, n := range nums {
				chosen = append(chosen, files[n-1].Name)
			}
			return s, nil
		})
	return chosen, err
}

// parseNumberList reads "1, 3, 5-7" with every number in [1, max].
func parseNumberList(s string, max int) ([]int, error) {
	bad := fmt.Errorf("That value is not valid: enter numbers from 1 to %d, separated by commas, or a range such as 1-%d.", max, max)
	seen := map[int]bool{}
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, bad
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, bad
			}
		}
		if a < 1 || b > max || a > b {
			return nil, bad
		}
		for n := a; n <= b; n++ {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out, nil
}
