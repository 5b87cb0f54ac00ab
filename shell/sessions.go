package shell

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// who and last (AsyncOS's names): the admin sessions open now, and the
// logins the authentication log recorded.

// OpenSession is one open admin session as the session table knows it.
type OpenSession struct {
	User      string
	Source    string // as Session.Source: "console", "ssh 10.1.1.1:50312", "socket"
	Login     time.Time
	LastInput time.Time
}

// SessionTable is the appliance's list of open admin sessions; cmd/seg
// keeps it, since sessions arrive by SSH, the console and the control
// socket.
type SessionTable interface {
	OpenSessions() []OpenSession
}

// SessionKind splits a session source into what `who` shows: the way in
// ("ssh", "console", "cli" for `seg cli`) and the client's address
// ("" for a local session).
func SessionKind(source string) (kind, from string) {
	if rest, ok := strings.CutPrefix(source, "ssh "); ok {
		if h, _, err := net.SplitHostPort(rest); err == nil {
			return "ssh", h
		}
		return "ssh", rest
	}
	if source == "console" {
		return "console", ""
	}
	return "cli", "" // the control socket, or an offline seg cli
}

// UserCommands returns who, last and passwd.
func UserCommands() []*Command {
	return []*Command{whoCommand(), lastCommand(), passwdCommand()}
}

func whoCommand() *Command {
	return &Command{
		Name:   "who",
		Help:   "List the administrators logged in now: user, login time, idle time, remote host and session type.",
		Usage:  []string{"who"},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return errors.New("who takes no arguments.")
			}
			if c.S.Sessions == nil {
				return errors.New("The appliance is not running: there are no sessions to list.")
			}
			now := c.S.now()
			rows := [][]string{}
			for _, o := range c.S.Sessions.OpenSessions() {
				kind, from := SessionKind(o.Source)
				if from == "" {
					from = "-"
				}
				rows = append(rows, []string{o.User, c.S.clock(o.Login, now), ShortDuration(now.Sub(o.LastInput)), from, kind})
			}
			c.Printf("%s", FormatTable([]string{"Username", "Login Time", "Idle Time", "Remote Host", "What"}, rows))
			return nil
		},
	}
}

// clock shows a time of day as AsyncOS's who does ("03:27PM"), with the
// date when it is not today.
func (s *Session) clock(t, now time.Time) string {
	t, now = t.In(s.loc()), now.In(s.loc())
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("03:04PM")
	}
	return t.Format("Jan _2 03:04PM")
}

// ShortDuration writes d as AsyncOS's who and last do: "0s", "42s",
// "15m", "3h 12m", "1d 4h 39m".
func ShortDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	m := int(d / time.Minute)
	days, hours, mins := m/(24*60), m/60%24, m%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh %dm", days, hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}
