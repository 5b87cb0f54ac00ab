package shell_test

import (
	"os"
	"path/filepath"
	"testing"

	"seg/shell/shelltest"
	"seg/store"
)

// transcripts maps each testdata/*.txt transcript to how its session is
// set up (nil: admin, no mail system).
var transcripts = map[string]func(*shelltest.Harness){
	"commit.txt":              nil,
	"clear.txt":               nil,
	"rollbackconfig.txt":      nil,
	"interrupt.txt":           nil,
	"quit.txt":                nil,
	"validation.txt":          nil,
	"help.txt":                nil,
	"offline.txt":             nil,
	"readonly.txt":            func(h *shelltest.Harness) { h.S.Role = store.RoleReadOnly; h.S.Mail = &fakeMail{} },
	"guest.txt":               func(h *shelltest.Harness) { h.S.Role = store.RoleGuest; h.S.Mail = &fakeMail{} },
	"mail.txt":                func(h *shelltest.Harness) { h.S.Mail = &fakeMail{} },
	"confirm.txt":             func(h *shelltest.Harness) { h.S.Mail = &fakeMail{} },
	"operator.txt":            func(h *shelltest.Harness) { h.S.Role = store.RoleOperator },
	"saveconfig.txt":          func(h *shelltest.Harness) { h.S.Now = tickingClock() },
	"passwd.txt":              passwdSetup,
	"cluster_standalone.txt":  withCluster(newStandalone),
	"cluster_join.txt":        withCluster(newStandalone),
	"cluster_menu.txt":        withCluster(newClustered),
	"cluster_batch.txt":       withCluster(newClustered),
	"cluster_interactive.txt": withCluster(newClustered),
	"cluster_readonly.txt": func(h *shelltest.Harness) {
		withCluster(newClustered)(h)
		h.S.Role = store.RoleReadOnly
	},
	"cluster_unreachable.txt": withCluster(func() *fakeCluster {
		f := newClustered()
		f.st.Reachable = false
		return f
	}),
	"cluster_nostats.txt": withCluster(func() *fakeCluster {
		f := newClustered()
		f.peers = nil
		return f
	}),
	"cluster_badpeer.txt": withCluster(func() *fakeCluster {
		f := newClustered()
		f.badPeer = "seg2.example.com"
		delete(f.down, "seg3.example.com")
		delete(f.peers, "seg3.example.com")
		return f
	}),
	"trace.txt": func(h *shelltest.Harness) {
		h.S.Mail = &fakeMail{}
		writeConfigFile(h, "msg.eml", "Subject: hi\r\n\r\nbody\r\n")
	},
	"trace_candidate.txt": func(h *shelltest.Harness) {
		h.S.Mail = &fakeMail{}
		snap, err := h.S.Store.Current()
		if err != nil {
			h.T.Fatal(err)
		}
		cfg := snap.Config.Clone()
		l := cfg.Listeners[0]
		l.Name, l.Port = "OutgoingMail", 2600
		cfg.Listeners = append(cfg.Listeners, l)
		h.S.Stage(cfg)
	},
}

// withCluster gives the session a fake cluster and a mail system (status
// and tophosts run only where the MTA does).
func withCluster(newFake func() *fakeCluster) func(*shelltest.Harness) {
	return func(h *shelltest.Harness) {
		h.S.Cluster = newFake()
		h.S.Mail = &fakeMail{}
	}
}

// writeConfigFile puts a file in the session's configuration directory.
func writeConfigFile(h *shelltest.Harness, name, content string) {
	if err := os.MkdirAll(h.S.ConfigDir(), 0o700); err != nil {
		h.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.S.ConfigDir(), name), []byte(content), 0o600); err != nil {
		h.T.Fatal(err)
	}
}

// TestTranscripts plays every testdata/*.txt transcript in a fresh
// session on the default configuration.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := transcripts[filepath.Base(f)]; !ok {
			t.Errorf("%s is not listed in transcripts", f)
		}
	}
	for name, setup := range transcripts {
		t.Run(name, func(t *testing.T) {
			var opts []func(*shelltest.Harness)
			if setup != nil {
				opts = append(opts, setup)
			}
			shelltest.RunFile(t, testRegistry(), newStore(t), filepath.Join("testdata", name), opts...)
		})
	}
}
