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

// Certificate private keys are secrets as password hashes are: masked
// in an operator's saveconfig, whose file loadconfig then refuses.
func TestOperatorSaveconfigMasksKeys(t *testing.T) {
	st := newStore(t)
	cur, _ := st.Current()
	next := cur.Config.Clone()
	ct, err := store.GenerateCertificate("Default", "seg.localdomain", store.KeyECDSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	next.Certificates = append(next.Certificates, ct)
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: next, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	s, _, _ := batchSession(t, st)
	s.User, s.Role = "admin", store.RoleOperator
	s.Now = shelltest.FixedTime
	mustExec(t, s, "saveconfig")
	name := "seg-config-seg.localdomain-" + shelltest.FixedTime().Local().Format("20060102T150405") + ".json"
	path := filepath.Join(s.DataDir, "configuration", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "PRIVATE KEY") || !strings.Contains(string(data), `"key_pem": "*****"`) {
		t.Fatalf("the operator's saved file holds a key or no mask:\n%.400s", data)
	}
	if err := s.Execute("loadconfig " + name); err == nil || !strings.Contains(err.Error(), "Files with masked passwords cannot be loaded") {
		t.Errorf("loadconfig of the masked copy: %v", err)
	}
	if s.Dirty() {
		t.Error("the refused loadconfig staged something")
	}
}
