package shell_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seg/shell/shelltest"
	"seg/store"
)

// DKIM private keys are secrets as certificate keys are: masked in
// showconfig and in an operator's saveconfig; a masked key in a loaded
// file keeps the appliance's key of that name, and only the same key.
func TestOperatorSaveconfigMasksDKIMKeys(t *testing.T) {
	st := newStore(t)
	cur, _ := st.Current()
	next := cur.Config.Clone()
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	k, err := store.GenerateDKIMKey("k1", store.DKIMEd25519, 0, created)
	if err != nil {
		t.Fatal(err)
	}
	next.DomainKeys.Keys = []store.DKIMKey{k}
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: next, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	s, out, _ := batchSession(t, st)
	s.User, s.Role = "admin", store.RoleOperator
	s.Now = shelltest.FixedTime
	mustExec(t, s, "showconfig")
	if strings.Contains(out.String(), "PRIVATE KEY") || !strings.Contains(out.String(), `"private_key": "*****"`) {
		t.Fatalf("showconfig shows the key or no mask")
	}
	mustExec(t, s, "saveconfig")
	name := "seg-config-seg.localdomain-" + shelltest.FixedTime().Local().Format("20060102T150405") + ".json"
	data, err := os.ReadFile(filepath.Join(s.DataDir, "configuration", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "PRIVATE KEY") || !strings.Contains(string(data), `"private_key": "*****"`) {
		t.Fatalf("the operator's saved file holds a key or no mask:\n%.400s", data)
	}
	out.Reset()
	mustExec(t, s, "loadconfig "+name)
	if out.String() != "No changes detected.\n" {
		t.Errorf("loading the masked copy: %q, want no changes (key kept)", out)
	}
	// Another key of that name (another creation time) is not the one
	// the appliance has: its private half is not there to keep.
	other := strings.Replace(string(data), created.Format(time.RFC3339), created.Add(time.Hour).Format(time.RFC3339), 1)
	if other == string(data) {
		t.Fatal("test: the creation time was not found in the saved file")
	}
	os.WriteFile(filepath.Join(s.DataDir, "configuration", "other.json"), []byte(other), 0o600)
	if err := s.Execute("loadconfig other.json"); err == nil || !strings.Contains(err.Error(), `the private key of DKIM signing key "k1" is masked`) {
		t.Fatalf("loadconfig of a masked key for another key: %v", err)
	}
}
