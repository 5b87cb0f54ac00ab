package configcmd

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// logconfig: log subscriptions (SPEC 13). Each takes one log type's lines
// at or above its level and writes them to logs/NAME, rotated by size and
// time with retention, or pushes them to a syslog receiver. A commit
// changes the running subscriptions without a restart.

func logconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "logconfig",
		Help:   "Configure log subscriptions: files and syslog push.",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\nCurrently configured logs:\n%s", logListText(cfg))
		},
		Table: &shell.Table[*store.Config]{Prefix: "logconfig", Ops: logOps},
	}.Command()
}

const logOptsUsage = "[--syslog-host HOST:PORT --syslog-protocol udp|tcp --syslog-facility mail|local0..local7] [--rollover-size 10M] [--rollover-time 1d|off] [--max-files 10]"

var logOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new log.",
		Usage: []string{"NAME --type mail_logs|cli_logs|authentication|bounces|status --level critical|warning|info|debug|trace --method file|syslog " + logOptsUsage},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := logArgs(args, "type", "level", "method")
			if err != nil {
				return err
			}
			t, ok := o.Named["type"]
			if !ok {
				return shell.Errorf("Give the log's type: --type %s.", strings.Join(store.LogTypes, "|"))
			}
			if !slices.Contains(store.LogTypes, t) {
				return shell.Errorf("Unknown log type %q (one of %s).", t, strings.Join(store.LogTypes, ", "))
			}
			s := store.NewFileLog(o.Pos[0], t)
			if err := setLogOpts(&s, o); err != nil {
				return err
			}
			return addLog(cfg, s)
		},
		Menu:     logNewMenu,
		Complete: logOptComplete},
	{Name: "edit", Desc: "Modify a log subscription.",
		Usage: []string{"NAME [--level LEVEL] [--method file|syslog] " + logOptsUsage},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := logArgs(args, "level", "method")
			if err != nil {
				return err
			}
			if len(o.Order) == 0 {
				return shell.ErrUsage
			}
			l := cfg.LogSubscription(o.Pos[0])
			if l == nil {
				return logNotFound(o.Pos[0])
			}
			s := *l
			if err := setLogOpts(&s, o); err != nil {
				return err
			}
			if err := checkLog(cfg, s); err != nil {
				return err
			}
			*l = s
			return nil
		},
		Menu: logEditMenu,
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return logArg(c, cfg, args)
			}
			return logOptComplete(c, cfg, args)
		}},
	{Name: "delete", Desc: "Remove a log subscription.",
		Usage:    []string{"NAME"},
		Batch:    shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error { return deleteLog(cfg, name) }),
		Menu:     logDeleteMenu,
		Complete: logArg},
	shell.PrintOp("Display all log subscriptions.", func(c *shell.Ctx, cfg *store.Config) string { return logsText(cfg) }),
}

// logArgs reads "NAME --option value..." allowing the file and syslog
// options and extra.
func logArgs(args []string, extra ...string) (shell.Opts, error) {
	o, err := shell.UserOpts(args)
	if err != nil {
		return o, err
	}
	allowed := append([]string{"syslog-host", "syslog-protocol", "syslog-facility", "rollover-size", "rollover-time", "max-files"}, extra...)
	if err := o.Allow(allowed...); err != nil {
		return o, err
	}
	if len(o.Pos) != 1 {
		return o, shell.ErrUsage
	}
	for k, v := range o.Named {
		o.Named[k] = strings.TrimSpace(v)
		if k != "syslog-host" {
			o.Named[k] = strings.ToLower(o.Named[k])
		}
	}
	return o, nil
}

// setLogOpts applies the options to s. Switching the method clears the
// other method's settings and gives the new one its defaults.
func setLogOpts(s *store.LogSubscription, o shell.Opts) error {
	if v, ok := o.Named["level"]; ok {
		if !slices.Contains(store.LogLevels, v) {
			return shell.Errorf("Unknown log level %q (one of %s).", v, strings.Join(store.LogLevels, ", "))
		}
		s.Level = v
	}
	if v, ok := o.Named["method"]; ok && v != s.Method {
		switch v {
		case store.LogMethodFile:
			f := store.NewFileLog(s.Name, s.Type)
			s.Method, s.SyslogHost, s.SyslogProtocol, s.SyslogFacility = v, "", "", ""
			s.RolloverSize, s.MaxFiles = f.RolloverSize, f.MaxFiles
		case store.LogMethodSyslog:
			s.Method, s.SyslogProtocol, s.SyslogFacility = v, "udp", "mail"
			s.RolloverSize, s.RolloverTime, s.MaxFiles = 0, 0, 0
		default:
			return shell.Errorf("Unknown log method %q (file or syslog).", v)
		}
	}
	syslogOnly, fileOnly := []string{"syslog-host", "syslog-protocol", "syslog-facility"}, []string{"rollover-size", "rollover-time", "max-files"}
	wrong := fileOnly
	if s.Method == store.LogMethodFile {
		wrong = syslogOnly
	}
	for _, k := range wrong {
		if _, ok := o.Named[k]; ok {
			return shell.Errorf("--%s does not apply to a log written %s.", k, methodWords(s.Method))
		}
	}
	if v, ok := o.Named["syslog-host"]; ok {
		h, err := canonSyslogHost(v)
		if err != nil {
			return err
		}
		s.SyslogHost = h
	}
	if v, ok := o.Named["syslog-protocol"]; ok {
		if !slices.Contains(store.SyslogProtocols, v) {
			return shell.Errorf("Unknown syslog protocol %q (udp or tcp).", v)
		}
		s.SyslogProtocol = v
	}
	if v, ok := o.Named["syslog-facility"]; ok {
		if !slices.Contains(store.SyslogFacilities, v) {
			return shell.Errorf("Unknown syslog facility %q (one of %s).", v, strings.Join(store.SyslogFacilities, ", "))
		}
		s.SyslogFacility = v
	}
	if v, ok := o.Named["rollover-size"]; ok {
		n, err := store.ParseLogSize(v)
		if err != nil {
			return shell.Errorf("%s", shell.Sentence(err.Error()))
		}
		s.RolloverSize = n
	}
	if v, ok := o.Named["rollover-time"]; ok {
		n, err := store.ParseLogTime(v)
		if err != nil {
			return shell.Errorf("%s", shell.Sentence(err.Error()))
		}
		s.RolloverTime = n
	}
	if v, ok := o.Named["max-files"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLogMaxFiles {
			return shell.Errorf("--max-files must be a number from 1 to %d, not %q.", store.MaxLogMaxFiles, v)
		}
		s.MaxFiles = n
	}
	if s.Method == store.LogMethodSyslog && s.SyslogHost == "" {
		return shell.Errorf("Give the syslog receiver: --syslog-host HOST:PORT.")
	}
	return nil
}

func methodWords(m string) string {
	if m == store.LogMethodSyslog {
		return "to syslog"
	}
	return "to a file"
}

// canonSyslogHost checks HOST:PORT (a port alone is not enough: the
// receiver is named in full).
func canonSyslogHost(v string) (string, error) {
	if err := store.ValidHostPort(v); err != nil {
		return "", shell.Errorf("Syslog host %q: %s.", v, err)
	}
	h, p, _ := net.SplitHostPort(v)
	return net.JoinHostPort(strings.ToLower(h), p), nil
}

// checkLog is the store's check of one subscription, and mail_logs' rule.
func checkLog(cfg *store.Config, s store.LogSubscription) error {
	if err := s.Check(); err != nil {
		return shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	if strings.EqualFold(s.Name, store.LogMailLogs) && (s.Type != store.LogMailLogs || s.Method != store.LogMethodFile) {
		return shell.Errorf("mail_logs must stay a file of type mail_logs: message tracking, findevent and grep read logs/mail_logs.")
	}
	return nil
}

func addLog(cfg *store.Config, s store.LogSubscription) error {
	if !store.ValidLogName(s.Name) {
		return shell.Errorf("%q is not a valid log name (a letter, then letters, digits, '_' or '-').", s.Name)
	}
	if cfg.LogSubscription(s.Name) != nil {
		return shell.Errorf("A log named %s already exists.", s.Name)
	}
	if err := checkLog(cfg, s); err != nil {
		return err
	}
	cfg.Logs = append(cfg.Logs, s)
	return nil
}

func deleteLog(cfg *store.Config, name string) error {
	if cfg.LogSubscription(name) == nil {
		return logNotFound(name)
	}
	if strings.EqualFold(name, store.LogMailLogs) {
		return shell.Errorf("mail_logs cannot be deleted: message tracking, findevent and grep read logs/mail_logs.")
	}
	for i := range cfg.Logs {
		if strings.EqualFold(cfg.Logs[i].Name, name) {
			cfg.Logs = append(cfg.Logs[:i:i], cfg.Logs[i+1:]...)
			break
		}
	}
	return nil
}

func logNotFound(name string) error { return shell.Errorf("No log subscription named %s.", name) }

func logArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return names(cfg.LogSubscriptions(), func(l *store.LogSubscription) string { return l.Name })
	}
	return nil
}

// logListText is the menu's numbered list, as AsyncOS shows it.
func logListText(cfg *store.Config) string {
	var b strings.Builder
	for i, l := range cfg.LogSubscriptions() {
		fmt.Fprintf(&b, "%d. %q Type: %q Retrieval: %s\n", i+1, l.Name, store.LogTypeDescription[l.Type], retrieval(l))
	}
	return b.String()
}

func retrieval(l store.LogSubscription) string {
	if l.Method == store.LogMethodSyslog {
		return "Syslog Push - Host " + l.SyslogHost
	}
	return "File logs/" + l.Name
}

// logsText is print: one row per subscription with every setting.
func logsText(cfg *store.Config) string {
	rows := [][]string{}
	for _, l := range cfg.LogSubscriptions() {
		where, rot := "logs/"+l.Name, fmt.Sprintf("size %s, time %s, keep %d", store.FormatLogSize(l.RolloverSize), store.FormatLogTime(l.RolloverTime), l.MaxFiles)
		if l.Method == store.LogMethodSyslog {
			where, rot = fmt.Sprintf("syslog %s/%s facility %s", l.SyslogHost, l.SyslogProtocol, l.SyslogFacility), "-"
		}
		rows = append(rows, []string{l.Name, l.Type, l.Level, where, rot})
	}
	return shell.FormatTable([]string{"Name", "Type", "Level", "Destination", "Rollover"}, rows)
}

// logOptValues are the options and, for those with a fixed set, their
// values, for completion.
var logOptValues = map[string][]string{
	"--type": store.LogTypes, "--level": store.LogLevels, "--method": store.LogMethods,
	"--syslog-protocol": store.SyslogProtocols, "--syslog-facility": store.SyslogFacilities,
	"--syslog-host": nil, "--rollover-size": nil, "--rollover-time": nil, "--max-files": nil,
}

// logOptComplete completes the options after NAME and their values.
func logOptComplete(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) < 2 {
		return nil
	}
	if vals, ok := logOptValues[args[len(args)-2]]; ok {
		return vals
	}
	var out []string
	for k := range logOptValues {
		out = append(out, k)
	}
	return out
}

// Menus.

var levelWords = []string{"Critical", "Warning", "Information", "Debug", "Trace"}

func logNewMenu(c *shell.Ctx, cfg *store.Config) error {
	items := make([]string, len(store.LogTypes))
	for i, t := range store.LogTypes {
		items[i] = store.LogTypeDescription[t]
	}
	ti, err := shell.Choose(c, "Choose the log file type for this subscription:", items, 1)
	if err != nil {
		return err
	}
	name, err := shell.AskRequired(c, "Please enter the name for the log:", "", func(s string) (string, error) {
		if !store.ValidLogName(s) {
			return "", shell.Errorf("%q is not a valid log name (a letter, then letters, digits, '_' or '-').", s)
		}
		if cfg.LogSubscription(s) != nil {
			return "", shell.Errorf("A log named %s already exists.", s)
		}
		return s, nil
	})
	if err != nil {
		return err
	}
	s := store.NewFileLog(name, store.LogTypes[ti])
	if err := askLogSettings(c, &s); err != nil {
		return err
	}
	return addLog(cfg, s)
}

func logEditMenu(c *shell.Ctx, cfg *store.Config) error {
	l, err := pickLog(c, cfg, "Enter the number of the log you wish to edit.")
	if err != nil {
		return err
	}
	s := *l
	if err := askLogSettings(c, &s); err != nil {
		return err
	}
	if err := checkLog(cfg, s); err != nil {
		return err
	}
	*l = s
	return nil
}

func logDeleteMenu(c *shell.Ctx, cfg *store.Config) error {
	l, err := pickLog(c, cfg, "Enter the number of the log you wish to delete.")
	if err != nil {
		return err
	}
	return deleteLog(cfg, l.Name)
}

// pickLog asks for a subscription by its number in the list.
func pickLog(c *shell.Ctx, cfg *store.Config, question string) (*store.LogSubscription, error) {
	subs := cfg.LogSubscriptions()
	items := make([]string, len(subs))
	for i, l := range subs {
		items[i] = l.Name
	}
	i, err := shell.Choose(c, question, items, 1)
	if err != nil {
		return nil, err
	}
	return cfg.LogSubscription(subs[i].Name), nil
}

// askLogSettings asks for the level, the method and the method's
// settings, with s's as the defaults.
func askLogSettings(c *shell.Ctx, s *store.LogSubscription) error {
	li, err := shell.Choose(c, "Choose the log level:", levelWords, indexOf(store.LogLevels, s.Level)+1)
	if err != nil {
		return err
	}
	s.Level = store.LogLevels[li]
	def := 1
	if s.Method == store.LogMethodSyslog {
		def = 2
	}
	mi, err := shell.Choose(c, "Choose the method to retrieve the logs.", []string{"Local file (logs/" + s.Name + ")", "Syslog Push"}, def)
	if err != nil {
		return err
	}
	o := shell.Opts{Named: map[string]string{"method": store.LogMethods[mi]}}
	if err := setLogOpts(s, o); err != nil && s.Method != store.LogMethodSyslog {
		return err
	}
	if s.Method == store.LogMethodSyslog {
		return askSyslog(c, s)
	}
	_, err = shell.Ask(c, "Please enter the maximum file size:", store.FormatLogSize(s.RolloverSize), func(v string) (string, error) {
		n, err := store.ParseLogSize(v)
		if err != nil {
			return "", shell.Errorf("%s", shell.Sentence(err.Error()))
		}
		s.RolloverSize = n
		return v, nil
	})
	if err != nil {
		return err
	}
	_, err = shell.Ask(c, "Please enter the rollover interval (such as 1d; off for none):", store.FormatLogTime(s.RolloverTime), func(v string) (string, error) {
		n, err := store.ParseLogTime(v)
		if err != nil {
			return "", shell.Errorf("%s", shell.Sentence(err.Error()))
		}
		s.RolloverTime = n
		return v, nil
	})
	if err != nil {
		return err
	}
	n, err := shell.AskInt(c, "Please enter the maximum number of files:", s.MaxFiles, 1, store.MaxLogMaxFiles)
	s.MaxFiles = n
	return err
}

func askSyslog(c *shell.Ctx, s *store.LogSubscription) error {
	host, port, _ := net.SplitHostPort(s.SyslogHost)
	if port == "" {
		port = "514"
	}
	host, err := shell.AskRequired(c, "Hostname to deliver the logs:", host, func(v string) (string, error) {
		if net.ParseIP(v) == nil && !store.ValidDomain(v) {
			return "", shell.Errorf("%q is not a host name or IP address.", v)
		}
		return v, nil
	})
	if err != nil {
		return err
	}
	p, err := shell.AskInt(c, "Port to deliver the logs:", atoiOr(port, 514), 1, 65535)
	if err != nil {
		return err
	}
	s.SyslogHost = net.JoinHostPort(strings.ToLower(host), strconv.Itoa(p))
	pi, err := shell.Choose(c, "Which protocol do you want to use to transfer the log data?", []string{"UDP", "TCP"}, indexOf(store.SyslogProtocols, s.SyslogProtocol)+1)
	if err != nil {
		return err
	}
	s.SyslogProtocol = store.SyslogProtocols[pi]
	fi, err := shell.Choose(c, "Which facility do you want the log data to be sent as?", store.SyslogFacilities, indexOf(store.SyslogFacilities, s.SyslogFacility)+1)
	if err != nil {
		return err
	}
	s.SyslogFacility = store.SyslogFacilities[fi]
	return nil
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
