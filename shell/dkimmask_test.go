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
// showconfig and in an operator's saveconfig, whose file loadconfig then
// refuses.
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
	if err := s.Execute("loadconfig " + name); err == nil || !strings.Contains(err.Error(), "Files with masked passwords cannot be loaded") {
		t.Errorf("loadconfig of the masked copy: %v", err)
	}
}
