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
// in an operator's saveconfig, and kept when such a file is loaded.
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
	s, out, _ := batchSession(t, st)
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
	out.Reset()
	mustExec(t, s, "loadconfig "+name)
	if out.String() != "No changes detected.\n" {
		t.Errorf("loading the masked copy: %q, want no changes (key kept)", out)
	}
	other, _ := store.GenerateCertificate("Default", "x.test", store.KeyECDSA, time.Now())
	swapped := strings.Replace(string(data), strings.ReplaceAll(strings.TrimSuffix(ct.CertPEM, "\n"), "\n", `\n`), strings.ReplaceAll(strings.TrimSuffix(other.CertPEM, "\n"), "\n", `\n`), 1)
	if swapped == string(data) {
		t.Fatal("test: the certificate was not found in the saved file")
	}
	os.WriteFile(filepath.Join(s.DataDir, "configuration", "swapped.json"), []byte(swapped), 0o600)
	if err := s.Execute("loadconfig swapped.json"); err == nil || !strings.Contains(err.Error(), `the private key of certificate "Default" is masked`) {
		t.Fatalf("loadconfig of a masked key for another certificate: %v", err)
	}
}
