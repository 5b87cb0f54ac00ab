package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"seg/store"
)

// Certificate and key paths stored by earlier versions become names in
// the configuration directory, or are dropped when they lie outside it,
// in one revision; without this every later commit would be refused.
func TestMigrateFilePaths(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "configuration")
	cfg := store.Default("", "$2a$10$abcdefghijklmnopqrstuu5Rk0qXGZyWn3XxvT8y1u0bYwzZ6m0yu")
	cfg.DestSetup.CertFile = filepath.Join(dir, "client.pem")
	cfg.DestSetup.KeyFile = "/etc/ssl/private/client.key"
	cfg.Listeners[0].CertFile = filepath.Join(dir, "listener.pem")
	cfg.Listeners[0].KeyFile = "listener.key" // already a name: kept
	st := store.NewMemory(cfg)
	defer st.Close()

	var out bytes.Buffer
	if err := migrateFilePaths(st, dir, &out); err != nil {
		t.Fatal(err)
	}
	cur, _ := st.Current()
	got := cur.Config
	if got.DestSetup.CertFile != "" || got.DestSetup.KeyFile != "" {
		t.Errorf("destconfig setup keeps %q and %q, want both dropped (the key was outside)", got.DestSetup.CertFile, got.DestSetup.KeyFile)
	}
	if l := got.Listeners[0]; l.CertFile != "listener.pem" || l.KeyFile != "listener.key" {
		t.Errorf("listener certificate %q key %q, want the names", l.CertFile, l.KeyFile)
	}
	if cur.Revision.Number != 2 || cur.Revision.User != "system" {
		t.Errorf("revision %+v, want 2 by system", cur.Revision)
	}
	for _, want := range []string{"are now the names listener.pem and listener.key", "files outside the configuration directory are not read"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("message %q lacks %q", out.String(), want)
		}
	}

	// Nothing left to do: no revision, no message.
	out.Reset()
	if err := migrateFilePaths(st, dir, &out); err != nil {
		t.Fatal(err)
	}
	if cur, _ := st.Current(); cur.Revision.Number != 2 || out.Len() != 0 {
		t.Errorf("second run: revision %d, message %q", cur.Revision.Number, out.String())
	}
}
