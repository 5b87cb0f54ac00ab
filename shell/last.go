package shell

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"seg/internal/logsub"
	"seg/store"
)

// last lists recent logins from the authentication log, which seg
// already writes for every admin session ("The user admin successfully
// logged on from 10.1.1.1 using an SSH connection.", "The user admin
// logged out from ..."): the log is the durable record, kept and
// rotated like every subscription.

// lastMax is how many logins last shows, newest first.
const lastMax = 50

// authStamp is the ctime stamp that starts a log line (aslog).
const authStamp = `(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})`

var (
	loginLine  = regexp.MustCompile(`^` + authStamp + ` \w+: The user (\S+) successfully logged on (.+)\.$`)
	logoutLine = regexp.MustCompile(`^` + authStamp + ` \w+: The user (\S+) logged out (.+)\.$`)
	sshOrigin  = regexp.MustCompile(`^from (\S+) using an SSH connection$`)
	localOrig  = regexp.MustCompile(`^using the (\S+) session$`)
)

// login is one session found in the log.
type login struct {
	user, from string // from: the client's address, or console/cli
	in, out    time.Time
	open       bool // no logout line
}

func lastCommand() *Command {
	return &Command{
		Name:   "last",
		Help:   "List the recent logins: user, remote host, login and logout time, from the authentication log.",
		Usage:  []string{"last"},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return errors.New("last takes no arguments.")
			}
			name := authLogName(c)
			if name == "" {
				return errors.New("No authentication log is written to a file (see 'logconfig'): there is no record of logins to list.")
			}
			flushLog(c, name)
			logins, err := readLogins(c.S, name)
			if err != nil {
				return fmt.Errorf("Cannot read log %s: %v", name, err)
			}
			if len(logins) == 0 {
				c.Printf("No logins are recorded in log %s.\n", name)
				return nil
			}
			c.Printf("%s", lastTable(c.S, logins))
			return nil
		},
	}
}

// authLogName is the first file subscription of the authentication log.
func authLogName(c *Ctx) string {
	for _, l := range fileLogs(c) {
		if l.Type == store.LogAuthentication {
			return l.Name
		}
	}
	return ""
}

// readLogins pairs the log's logins with their logouts: a logout closes
// the newest open login of the same user from the same place. The log
// does not tell two sessions from one address apart, so their times may
// be swapped, never their count; and a login left open by an appliance
// that stopped without logging the logout is older than the sessions
// that followed it. Newest first, at most lastMax.
func readLogins(s *Session, name string) ([]login, error) {
	var all []*login
	open := map[string][]*login{}
	parse := func(stamp string) (time.Time, bool) {
		t, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", stamp, s.loc())
		return t, err == nil
	}
	err := logsub.Scan(s.LogDir(), name, func(l string) bool {
		if m := loginLine.FindStringSubmatch(l); m != nil {
			t, ok := parse(m[1])
			if !ok {
				return true
			}
			lg := &login{user: m[2], from: originHost(m[3]), in: t, open: true}
			all = append(all, lg)
			k := lg.user + " " + lg.from
			open[k] = append(open[k], lg)
			return true
		}
		if m := logoutLine.FindStringSubmatch(l); m != nil {
			t, ok := parse(m[1])
			k := m[2] + " " + originHost(m[3])
			if q := open[k]; ok && len(q) > 0 {
				q[len(q)-1].out, q[len(q)-1].open = t, false
				open[k] = q[:len(q)-1]
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	// Newest first; logins within one second (the log's precision) in
	// the reverse of the log's order too.
	slices.Reverse(all)
	sort.SliceStable(all, func(i, j int) bool { return all[i].in.After(all[j].in) })
	if len(all) > lastMax {
		all = all[:lastMax]
	}
	out := make([]login, len(all))
	for i, l := range all {
		out[i] = *l
	}
	return out, nil
}

// originHost turns the log's "from 10.1.1.1 using an SSH connection" or
// "using the console session" into the remote host column: the address,
// or the kind of local session.
func originHost(origin string) string {
	if m := sshOrigin.FindStringSubmatch(origin); m != nil {
		return m[1]
	}
	if m := localOrig.FindStringSubmatch(origin); m != nil {
		kind, _ := SessionKind(m[1])
		return kind
	}
	return origin
}

// lastTable lays the logins out as AsyncOS's last does. A login with no
// logout is "still logged in" when the session table has it; otherwise
// the appliance stopped without recording the logout.
func lastTable(s *Session, logins []login) string {
	live := map[string]int{}
	if s.Sessions != nil {
		for _, o := range s.Sessions.OpenSessions() {
			kind, from := SessionKind(o.Source)
			if from == "" {
				from = kind
			}
			live[o.User+" "+from]++
		}
	}
	now := s.now()
	var rows [][]string
	for _, l := range logins {
		in := l.in.Format("Mon Jan _2 15:04")
		k := l.user + " " + l.from
		switch {
		case !l.open:
			rows = append(rows, []string{l.user, l.from, in, l.out.Format("Mon Jan _2 15:04"), ShortDuration(l.out.Sub(l.in))})
		case live[k] > 0:
			live[k]--
			rows = append(rows, []string{l.user, l.from, in, "still logged in", ShortDuration(now.Sub(l.in))})
		default:
			rows = append(rows, []string{l.user, l.from, in, "no logout recorded", ""})
		}
	}
	return FormatTable([]string{"Username", "Remote Host", "Login Time", "Logout Time", "Total Time"}, rows)
}
