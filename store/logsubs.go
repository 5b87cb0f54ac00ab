package store

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Log subscriptions (logconfig, SPEC 13): each writes one kind of log,
// filtered by level, to logs/NAME or to a syslog receiver.

// Log subscription types, methods, levels and syslog choices.
const (
	LogMailLogs       = "mail_logs"
	LogCLILogs        = "cli_logs"
	LogAuthentication = "authentication"
	LogBounces        = "bounces"
	LogStatus         = "status"

	LogMethodFile   = "file"
	LogMethodSyslog = "syslog"
)

// LogTypes, LogLevels (least verbose first) and the syslog choices, in
// the order the menus offer them.
var (
	LogTypes           = []string{LogMailLogs, LogCLILogs, LogAuthentication, LogBounces, LogStatus}
	LogLevels          = []string{"critical", "warning", "info", "debug", "trace"}
	LogMethods         = []string{LogMethodFile, LogMethodSyslog}
	SyslogProtocols    = []string{"udp", "tcp"}
	SyslogFacilities   = []string{"mail", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	LogTypeDescription = map[string]string{
		LogMailLogs:       "IronPort Text Mail Logs",
		LogCLILogs:        "CLI Audit Logs",
		LogAuthentication: "Authentication Logs",
		LogBounces:        "Bounce Logs",
		LogStatus:         "Status Logs",
	}
)

// Limits and defaults of a subscription's rotation (AsyncOS rolls a log
// over at 10 MB and keeps 10 files unless told otherwise).
const (
	DefaultLogRolloverSize = 10 << 20
	DefaultLogMaxFiles     = 10
	MinLogRolloverSize     = 1 << 10
	MinLogRolloverTime     = 60 // seconds
	MaxLogMaxFiles         = 1000
)

// LogSubscription is one logconfig entry.
type LogSubscription struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Level  string `json:"level"`
	Method string `json:"method"`
	// Syslog push: HOST:PORT, udp|tcp, mail|local0..local7.
	SyslogHost     string `json:"syslog_host,omitempty"`
	SyslogProtocol string `json:"syslog_protocol,omitempty"`
	SyslogFacility string `json:"syslog_facility,omitempty"`
	// File: rotated past RolloverSize bytes and every RolloverTime
	// seconds (0: never by time); MaxFiles rotated files are kept.
	RolloverSize int64 `json:"rollover_size,omitempty"`
	RolloverTime int64 `json:"rollover_time,omitempty"`
	MaxFiles     int   `json:"max_files,omitempty"`
}

// DefaultLogSubscriptions is the embedded default's logconfig: the files
// seg has always written (mail_logs, cli_logs) and the authentication and
// bounce logs, at level info.
func DefaultLogSubscriptions() []LogSubscription {
	out := make([]LogSubscription, 0, 4)
	for _, t := range []string{LogMailLogs, LogCLILogs, LogAuthentication, LogBounces} {
		out = append(out, NewFileLog(t, t))
	}
	return out
}

// NewFileLog is a file subscription with the default level and rotation.
func NewFileLog(name, typ string) LogSubscription {
	return LogSubscription{Name: name, Type: typ, Level: "info", Method: LogMethodFile,
		RolloverSize: DefaultLogRolloverSize, MaxFiles: DefaultLogMaxFiles}
}

// LogSubscriptions returns the configured subscriptions; a tree written
// before logconfig existed has none stored and gets the default ones.
func (c *Config) LogSubscriptions() []LogSubscription {
	if c.Logs == nil {
		return DefaultLogSubscriptions()
	}
	return c.Logs
}

// LogSubscription returns the named subscription (case-insensitive) or
// nil. It materialises the default list first, so the result may be
// edited.
func (c *Config) LogSubscription(name string) *LogSubscription {
	if c.Logs == nil {
		c.Logs = DefaultLogSubscriptions()
	}
	for i := range c.Logs {
		if equalFold(c.Logs[i].Name, name) {
			return &c.Logs[i]
		}
	}
	return nil
}

// ValidLogName reports whether s can name a log subscription (and so a
// file under logs/): a letter, then letters, digits, '_' and '-'.
func ValidLogName(s string) bool { return ValidAddressListName(s) }

// ParseLogSize reads a rollover size: a number of bytes with an optional
// K, M or G suffix ("10M").
func ParseLogSize(s string) (int64, error) {
	mult := int64(1)
	t := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size (a number with K, M or G, such as 10M)", s)
	}
	if n*mult < MinLogRolloverSize {
		return 0, fmt.Errorf("the rollover size must be at least 1K")
	}
	return n * mult, nil
}

// FormatLogSize writes a size the way ParseLogSize reads it.
func FormatLogSize(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "G"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "K"
	}
	return strconv.FormatInt(n, 10)
}

// ParseLogTime reads a rollover interval in seconds: a number with s, m,
// h or d ("1d"); "0" or "off" turns time rollover off.
func ParseLogTime(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "0" || t == "off" {
		return 0, nil
	}
	mult := int64(0)
	if t != "" {
		switch t[len(t)-1] {
		case 's':
			mult = 1
		case 'm':
			mult = 60
		case 'h':
			mult = 3600
		case 'd':
			mult = 86400
		}
	}
	n, err := strconv.ParseInt(strings.TrimRight(t, "smhd"), 10, 64)
	if mult == 0 || err != nil || n <= 0 || n > 366*86400 {
		return 0, fmt.Errorf("%q is not an interval (a number with s, m, h or d, such as 1d; 0 or off for none)", s)
	}
	if n*mult < MinLogRolloverTime {
		return 0, fmt.Errorf("the rollover time must be at least 1m")
	}
	return n * mult, nil
}

// FormatLogTime writes an interval the way ParseLogTime reads it.
func FormatLogTime(sec int64) string {
	switch {
	case sec == 0:
		return "off"
	case sec%86400 == 0:
		return strconv.FormatInt(sec/86400, 10) + "d"
	case sec%3600 == 0:
		return strconv.FormatInt(sec/3600, 10) + "h"
	case sec%60 == 0:
		return strconv.FormatInt(sec/60, 10) + "m"
	}
	return strconv.FormatInt(sec, 10) + "s"
}

// Check reports the first problem of one subscription, alone.
func (s *LogSubscription) Check() error {
	switch {
	case !ValidLogName(s.Name):
		return fmt.Errorf("%q is not a valid log name (a letter, then letters, digits, '_' or '-')", s.Name)
	case !slices.Contains(LogTypes, s.Type):
		return fmt.Errorf("type %q: must be one of %s", s.Type, strings.Join(LogTypes, ", "))
	case !slices.Contains(LogLevels, s.Level):
		return fmt.Errorf("level %q: must be one of %s", s.Level, strings.Join(LogLevels, ", "))
	case !slices.Contains(LogMethods, s.Method):
		return fmt.Errorf("method %q: must be file or syslog", s.Method)
	}
	if s.Method == LogMethodSyslog {
		if err := ValidHostPort(s.SyslogHost); err != nil {
			return fmt.Errorf("syslog host %q: %v", s.SyslogHost, err)
		}
		if !slices.Contains(SyslogProtocols, s.SyslogProtocol) {
			return fmt.Errorf("syslog protocol %q: must be udp or tcp", s.SyslogProtocol)
		}
		if !slices.Contains(SyslogFacilities, s.SyslogFacility) {
			return fmt.Errorf("syslog facility %q: must be one of %s", s.SyslogFacility, strings.Join(SyslogFacilities, ", "))
		}
		if s.RolloverSize != 0 || s.RolloverTime != 0 || s.MaxFiles != 0 {
			return fmt.Errorf("rollover and max files apply to files, not to syslog push")
		}
		return nil
	}
	if s.SyslogHost != "" || s.SyslogProtocol != "" || s.SyslogFacility != "" {
		return fmt.Errorf("the syslog settings apply to syslog push, not to files")
	}
	if s.RolloverSize < MinLogRolloverSize {
		return fmt.Errorf("rollover size %d: must be at least 1K", s.RolloverSize)
	}
	if s.RolloverTime != 0 && s.RolloverTime < MinLogRolloverTime {
		return fmt.Errorf("rollover time %ds: must be at least 1m, or 0 for none", s.RolloverTime)
	}
	if s.MaxFiles < 1 || s.MaxFiles > MaxLogMaxFiles {
		return fmt.Errorf("max files %d: must be from 1 to %d", s.MaxFiles, MaxLogMaxFiles)
	}
	return nil
}

// validateLogs checks every subscription, that names are unique, and
// that mail_logs is a file of type mail_logs: message tracking, findevent
// and grep read logs/mail_logs.
func (c *Config) validateLogs(p *problems) {
	if c.Logs == nil {
		return
	}
	seen := map[string]bool{}
	var mailLogs *LogSubscription
	for i := range c.Logs {
		s := &c.Logs[i]
		if err := s.Check(); err != nil {
			p.add("log subscription %s: %v", s.Name, err)
		}
		k := strings.ToLower(s.Name)
		if seen[k] {
			p.add("log subscription %s: the name is used twice", s.Name)
		}
		seen[k] = true
		if k == LogMailLogs {
			mailLogs = s
		}
	}
	if mailLogs == nil || mailLogs.Type != LogMailLogs || mailLogs.Method != LogMethodFile {
		p.add("log subscription mail_logs: must exist, of type mail_logs, written to a file (message tracking, findevent and grep read logs/mail_logs)")
	}
}

// SyslogAddr is the receiver's address as net.Dial takes it.
func (s *LogSubscription) SyslogAddr() string {
	host, port, _ := net.SplitHostPort(s.SyslogHost)
	return net.JoinHostPort(host, port)
}
