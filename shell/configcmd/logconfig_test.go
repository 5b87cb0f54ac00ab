package configcmd

import (
	"strings"
	"testing"

	"seg/store"
)

func TestLogconfigBatch(t *testing.T) {
	b := newBatch(t)
	got := b.ok("logconfig print")
	for _, n := range []string{"mail_logs", "cli_logs", "authentication", "bounces"} {
		if !strings.Contains(got, n) {
			t.Errorf("print lacks default %s:\n%s", n, got)
		}
	}
	b.ok("logconfig new siem --type mail_logs --level warning --method syslog --syslog-host 127.0.0.5:5514 --syslog-protocol tcp --syslog-facility local3")
	b.ok("logconfig new st --type status --level info --method file --rollover-size 64K --rollover-time 1h --max-files 3")
	b.commit()
	siem := b.cfg().LogSubscription("siem")
	want := store.LogSubscription{Name: "siem", Type: "mail_logs", Level: "warning", Method: "syslog",
		SyslogHost: "127.0.0.5:5514", SyslogProtocol: "tcp", SyslogFacility: "local3"}
	if siem == nil || *siem != want {
		t.Errorf("siem = %+v, want %+v", siem, want)
	}
	st := b.cfg().LogSubscription("st")
	if st == nil || st.RolloverSize != 64<<10 || st.RolloverTime != 3600 || st.MaxFiles != 3 {
		t.Errorf("st = %+v", st)
	}
	b.fail("logconfig new SIEM --type mail_logs", "A log named SIEM already exists.")
	b.fail("logconfig new x --type nope", `Unknown log type "nope"`)
	b.fail("logconfig new x", "Give the log's type")
	b.fail("logconfig new x --type bounces --level loud", `Unknown log level "loud"`)
	b.fail("logconfig new x --type bounces --method syslog", "Give the syslog receiver: --syslog-host HOST:PORT.")
	b.fail("logconfig new x --type bounces --method syslog --syslog-host 127.0.0.1", "must be HOST:PORT")
	b.fail("logconfig new x --type bounces --method syslog --syslog-host 127.0.0.1:514 --syslog-facility kern", `Unknown syslog facility "kern"`)
	b.fail("logconfig new x --type bounces --method syslog --syslog-host 127.0.0.1:514 --max-files 3", "--max-files does not apply to a log written to syslog.")
	b.fail("logconfig new x --type bounces --syslog-host 127.0.0.1:514", "--syslog-host does not apply to a log written to a file.")
	b.fail("logconfig new x --type bounces --rollover-size 10", "at least 1K")
	b.fail("logconfig new x --type bounces --rollover-time 30s", "at least 1m")
	b.fail("logconfig new x --type bounces --rollover-time 1y", "is not an interval")
	b.fail("logconfig new x --type bounces --max-files 0", "--max-files must be a number from 1 to 1000")
	b.fail("logconfig new x.y --type bounces", "not a valid log name")
	b.fail("logconfig delete mail_logs", "mail_logs cannot be deleted")
	b.fail("logconfig edit mail_logs --method syslog --syslog-host 127.0.0.1:514", "mail_logs must stay a file")
	b.fail("logconfig edit nope --level info", "No log subscription named nope.")
	// Switching the method gives the other method's defaults.
	b.ok("logconfig edit siem --method file")
	if s := b.cfg().LogSubscription("siem"); s.SyslogHost != "" || s.RolloverSize != store.DefaultLogRolloverSize || s.MaxFiles != store.DefaultLogMaxFiles {
		t.Errorf("siem as a file = %+v", s)
	}
	b.ok("logconfig edit siem --method syslog --syslog-host LOGS.example.com:601")
	if s := b.cfg().LogSubscription("siem"); s.SyslogHost != "logs.example.com:601" || s.SyslogProtocol != "udp" || s.SyslogFacility != "mail" || s.MaxFiles != 0 {
		t.Errorf("siem back to syslog = %+v", s)
	}
	b.ok("logconfig delete st")
	if b.cfg().LogSubscription("st") != nil {
		t.Error("st not deleted")
	}
	b.commit()
}

// A tree stored before logconfig existed has no subscriptions stored:
// it reads as the default ones, and the first edit keeps them.
func TestLogconfigOldTree(t *testing.T) {
	cfg := store.Default("", "")
	cfg.Logs = nil
	if got := cfg.LogSubscriptions(); len(got) != 4 || got[0].Name != "mail_logs" {
		t.Fatalf("defaults = %+v", got)
	}
	if err := setLogLevel(cfg, "bounces", "debug"); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Logs) != 4 || cfg.LogSubscription("bounces").Level != "debug" {
		t.Errorf("after edit: %+v", cfg.Logs)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}

func setLogLevel(cfg *store.Config, name, level string) error {
	l := cfg.LogSubscription(name)
	l.Level = level
	return checkLog(cfg, *l)
}

func TestLogconfigComplete(t *testing.T) {
	b := newBatch(t)
	cmd, _ := b.h.S.Commands.Lookup("logconfig")
	c := b.ctx()
	if got := cmd.Complete(c, []string{"edit", "b"}); !contains(got, "bounces") || !contains(got, "mail_logs") {
		t.Errorf("edit names: %v", got)
	}
	if got := cmd.Complete(c, []string{"new", "x", "--ty"}); !contains(got, "--type") || !contains(got, "--syslog-facility") {
		t.Errorf("options: %v", got)
	}
	if got := cmd.Complete(c, []string{"new", "x", "--type", ""}); !contains(got, "authentication") || len(got) != 5 {
		t.Errorf("types: %v", got)
	}
	if got := cmd.Complete(c, []string{"edit", "siem", "--syslog-facility", "lo"}); !contains(got, "local7") {
		t.Errorf("facilities: %v", got)
	}
}

func TestLogconfigTranscript(t *testing.T) {
	transcript(t, "logconfig.txt")
}
