package mta

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"seg/internal/mailapi"
	"seg/mta/tdc"
)

// logFiles lists the mail_logs files oldest first: rotated
// mail_logs.@TIMESTAMP.s files, then the current one.
func (m *MTA) logFiles() []string {
	dir := m.o.LogDir
	old, _ := filepath.Glob(filepath.Join(dir, "mail_logs.@*.s"))
	sort.Strings(old)
	return append(old, filepath.Join(dir, "mail_logs"))
}

// scanLogs calls f for every line of every mail_logs file, oldest first.
func (m *MTA) scanLogs(f func(line string)) {
	if fl, ok := m.o.Log.(interface{ Flush() error }); ok {
		_ = fl.Flush()
	}
	for _, p := range m.logFiles() {
		file, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			f(sc.Text())
		}
		file.Close()
	}
}

var (
	reMID  = regexp.MustCompile(`\bMID (\d+)\b`)
	reICID = regexp.MustCompile(`\bICID (\d+)\b`)
	reDCID = regexp.MustCompile(`\bDCID (\d+)\b`)
)

// FindEvent prints every mail_logs line of the messages q chooses, with
// the connection lines (ICID, DCID) that belong to them, as AsyncOS's
// message tracking does (findevent). q.From, q.To and q.Subject are
// regular expressions matched against the From:, To: and Subject lines.
func (m *MTA) FindEvent(out io.Writer, q mailapi.EventQuery) error {
	if !q.Valid() {
		return fmt.Errorf("findevent needs one of --mid N, --from RE, --to RE, --subject RE")
	}
	mids := map[string]bool{}
	if q.MID > 0 {
		mids[strconv.FormatInt(q.MID, 10)] = true
	} else {
		marker, pattern := " From: <", q.From
		switch {
		case q.To != "":
			marker, pattern = " To: <", q.To
		case q.Subject != "":
			marker, pattern = " Subject '", q.Subject
		}
		re, err := regexp.Compile("(?i)" + pattern)
		if err != nil {
			return fmt.Errorf("Invalid regular expression %q: %v", pattern, err)
		}
		m.scanLogs(func(l string) {
			i := strings.Index(l, marker)
			if i < 0 {
				return
			}
			if re.MatchString(l[i+len(marker):]) {
				if mm := reMID.FindStringSubmatch(l); mm != nil {
					mids[mm[1]] = true
				}
			}
		})
	}
	if len(mids) == 0 {
		return fmt.Errorf("No matching message IDs were found")
	}
	// The journal copies of those messages: a copy's life is logged
	// under its own MID, which its generated line ties to the original.
	m.scanLogs(func(l string) {
		if c, o, ok := tdc.ParseGenerated(l); ok && mids[strconv.FormatInt(o, 10)] {
			mids[strconv.FormatInt(c, 10)] = true
		}
	})
	// First pass: the connections of those messages.
	icids, dcids := map[string]bool{}, map[string]bool{}
	m.scanLogs(func(l string) {
		mm := reMID.FindStringSubmatch(l)
		if mm == nil || !mids[mm[1]] {
			return
		}
		if x := reICID.FindStringSubmatch(l); x != nil && x[1] != "0" {
			icids[x[1]] = true
		}
		if x := reDCID.FindStringSubmatch(l); x != nil {
			dcids[x[1]] = true
		}
	})
	found := 0
	// Message tracking's TDC line per journaled message: the last state
	// logged, a final one never replaced by an earlier-looking one.
	tracked := map[int64]string{}
	var trackOrder []int64
	var tracker tdc.Tracker
	m.scanLogs(func(l string) {
		if mid, track, ok := tracker.Line(l); ok && mids[strconv.FormatInt(mid, 10)] {
			if _, seen := tracked[mid]; !seen {
				trackOrder = append(trackOrder, mid)
			}
			if prev := tracked[mid]; prev == "" || prev == tdc.TrackQueued(mid) {
				tracked[mid] = track
			}
		}
		hit := false
		if mm := reMID.FindAllStringSubmatch(l, -1); mm != nil {
			for _, x := range mm {
				hit = hit || mids[x[1]]
			}
		}
		if x := reICID.FindStringSubmatch(l); x != nil && icids[x[1]] && !strings.Contains(l, " MID ") {
			hit = true
		}
		if x := reDCID.FindStringSubmatch(l); x != nil && dcids[x[1]] && !strings.Contains(l, " MID ") {
			hit = true
		}
		if hit {
			fmt.Fprintln(out, l)
			found++
		}
	})
	if found == 0 {
		return fmt.Errorf("No matching message IDs were found")
	}
	for _, mid := range trackOrder {
		fmt.Fprintln(out, tracked[mid])
	}
	return nil
}
