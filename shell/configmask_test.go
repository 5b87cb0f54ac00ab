package shell_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// secretsStore is the default configuration plus one secret of every
// kind: admin's password hash, a certificate's private key, a DKIM
// signing key and a bounce verification secret.
func secretsStore(t *testing.T) (store.Store, *store.Config) {
	t.Helper()
	st := newStore(t)
	cur, _ := st.Current()
	next := cur.Config.Clone()
	ct, err := store.GenerateCertificate("Default", "seg.localdomain", store.KeyECDSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	next.Certificates = append(next.Certificates, ct)
	k, err := store.GenerateDKIMKey("k1", store.DKIMEd25519, 0, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	next.DomainKeys.Keys = []store.DKIMKey{k}
	next.BounceVerification.Keys = []store.BVKey{{Name: "bv1", Number: 1, Secret: "bv-topsecret",
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: next, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	snap, _ := st.Current()
	return st, snap.Config
}

// secretTexts are what of cfg's secrets must never be in masked output.
func secretTexts(cfg *store.Config) []string {
	return []string{
		cfg.User("admin").PasswordHash,
		cfg.Certificates[len(cfg.Certificates)-1].KeyPEM[:40],
		"PRIVATE KEY",
		cfg.BounceVerification.Keys[0].Secret,
	}
}

// maskedLine is the first line of data holding a masked secret, found
// line by line (loadconfig walks the JSON tokens).
func maskedLine(data []byte) int {
	re := regexp.MustCompile(`"(password_hash|key_pem|private_key|secret)": "\*\*\*\*\*"`)
	for i, l := range strings.Split(string(data), "\n") {
		if re.MatchString(l) {
			return i + 1
		}
	}
	return 0
}

// tickingClock starts at the harness time and moves a second per call:
// each saveconfig gets its own file name.
func tickingClock() func() time.Time {
	n := 0
	return func() time.Time {
		n++
		return shelltest.FixedTime().Add(time.Duration(n) * time.Second)
	}
}

func savedName(t time.Time) string {
	return "seg-config-seg.localdomain-" + t.Local().Format("20060102T150405") + ".json"
}

// TestMaskedConfigRefused: saveconfig without an argument, off a
// terminal, masks every secret, and loadconfig refuses that file naming
// it and the line of the first mask; saveconfig nomask keeps them all
// and its file loads back to the very same configuration.
func TestMaskedConfigRefused(t *testing.T) {
	st, orig := secretsStore(t)
	s, out, _ := batchSession(t, st)
	clock := tickingClock()
	s.Now = clock

	mustExec(t, s, "saveconfig")
	masked := savedName(shelltest.FixedTime().Add(time.Second))
	if want := "The file " + masked + " has been saved in the configuration directory.\nPasswords are masked: loadconfig cannot load this file.\n"; out.String() != want {
		t.Errorf("saveconfig said %q, want %q", out, want)
	}
	data, err := os.ReadFile(filepath.Join(s.DataDir, "configuration", masked))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secretTexts(orig) {
		if strings.Contains(string(data), secret) {
			t.Errorf("the masked file holds %q", secret)
		}
	}
	for _, field := range []string{"password_hash", "key_pem", "private_key", "secret"} {
		if !strings.Contains(string(data), `"`+field+`": "*****"`) {
			t.Errorf("the masked file has no masked %s", field)
		}
	}
	err = s.Execute("loadconfig " + masked)
	want := fmt.Sprintf("Parsing failed: %s:%d: ", masked, maskedLine(data))
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "Files with masked passwords cannot be loaded") {
		t.Fatalf("loadconfig of a masked file: %v, want %q...", err, want)
	}
	if s.Dirty() {
		t.Error("the refused loadconfig staged something")
	}
	// One masked secret alone is enough: the DKIM key, deep in the file.
	plain := strings.Replace(string(data), `"password_hash": "*****"`, `"password_hash": "`+orig.User("admin").PasswordHash+`"`, 1)
	plain = strings.Replace(plain, `"key_pem": "*****"`, `"key_pem": `+jsonString(orig.Certificates[len(orig.Certificates)-1].KeyPEM), 1)
	plain = strings.Replace(plain, `"secret": "*****"`, `"secret": "bv-topsecret"`, 1)
	os.WriteFile(filepath.Join(s.DataDir, "configuration", "dkim.json"), []byte(plain), 0o600)
	err = s.Execute("loadconfig dkim.json")
	if want := fmt.Sprintf("Parsing failed: dkim.json:%d: a DKIM signing key's private key (private_key) is masked.", maskedLine([]byte(plain))); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("loadconfig with only the DKIM key masked: %v, want %q", err, want)
	}

	out.Reset()
	mustExec(t, s, "saveconfig nomask")
	full := savedName(shelltest.FixedTime().Add(2 * time.Second))
	if want := "The file " + full + " has been saved in the configuration directory.\n"; out.String() != want {
		t.Errorf("saveconfig nomask said %q, want %q", out, want)
	}
	data, _ = os.ReadFile(filepath.Join(s.DataDir, "configuration", full))
	for _, secret := range secretTexts(orig) {
		if !strings.Contains(string(data), strings.ReplaceAll(secret, "\n", `\n`)) {
			t.Errorf("the unmasked file lacks %q", secret)
		}
	}
	out.Reset()
	mustExec(t, s, "loadconfig "+full)
	if out.String() != "No changes detected.\n" {
		t.Errorf("loading the unmasked copy of the running config: %q", out)
	}
	mustExec(t, s, "sethostname other.example.com")
	mustExec(t, s, "commit")
	mustExec(t, s, "loadconfig "+full)
	mustExec(t, s, "commit restore")
	if got := running(t, st).Config; !got.Equal(orig) {
		t.Errorf("the round trip changed the configuration: %v", store.Changes(orig, got))
	}
}

func jsonString(s string) string {
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}

// TestMaskArguments: the batch forms of showconfig and saveconfig; only
// an admin may have the secrets.
func TestMaskArguments(t *testing.T) {
	st, orig := secretsStore(t)
	s, out, _ := batchSession(t, st)
	s.Now = tickingClock()
	hash := orig.User("admin").PasswordHash
	for _, tc := range []struct {
		line     string
		unmasked bool
	}{{"showconfig", false}, {"showconfig mask", false}, {"showconfig nomask", true}} {
		out.Reset()
		mustExec(t, s, tc.line)
		if strings.Contains(out.String(), hash) != tc.unmasked || strings.Contains(out.String(), "bv-topsecret") != tc.unmasked {
			t.Errorf("%s: secrets shown %v, want %v", tc.line, !tc.unmasked, tc.unmasked)
		}
	}
	for _, line := range []string{"showconfig bogus", "saveconfig bogus", "showconfig mask nomask"} {
		if err := s.Execute(line); err == nil || !strings.HasPrefix(err.Error(), "Usage: ") {
			t.Errorf("%s: %v", line, err)
		}
	}
	s.Role = store.RoleOperator
	for _, line := range []string{"showconfig nomask", "saveconfig nomask"} {
		if err := s.Execute(line); err == nil || !strings.Contains(err.Error(), "Only an admin may") {
			t.Errorf("%s by an operator: %v", line, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(s.DataDir, "configuration", "seg-config-*"))
	if len(files) != 0 {
		t.Errorf("refused saveconfigs wrote %v", files)
	}
	// Tab completes the two forms.
	if got := shell.CompleteForTest(s, "saveconfig "); strings.Join(got, ",") != "mask ,nomask " {
		t.Errorf("saveconfig <Tab>: %q", got)
	}
}

// TestOperatorNotAsked: on a terminal, an operator is not asked (the
// secrets are never theirs to have) and gets a masked file.
func TestOperatorNotAsked(t *testing.T) {
	st, orig := secretsStore(t)
	h := shelltest.NewSession(t, testRegistry(), st)
	h.S.Role = store.RoleOperator
	h.Run("saveconfig")
	if strings.Contains(h.Output(), "mask the password") || !strings.Contains(h.Output(), "Passwords are masked") {
		t.Errorf("operator's saveconfig:\n%s", h.Output())
	}
	data, _ := os.ReadFile(filepath.Join(h.S.DataDir, "configuration", savedName(shelltest.FixedTime())))
	if strings.Contains(string(data), orig.User("admin").PasswordHash) || !strings.Contains(string(data), `"password_hash": "*****"`) {
		t.Error("the operator's file holds a hash or no mask")
	}
}
