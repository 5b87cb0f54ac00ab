package shell_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// setbvkeyCommand stages a bounce verification key; its --text is a
// secret option, as bvconfig's is.
func setbvkeyCommand() *shell.Command {
	return &shell.Command{
		Name: "setbvkey", Usage: []string{"setbvkey NAME --text T"}, Access: shell.AccessOperator,
		SecretOpts: []string{"text"},
		Run: func(c *shell.Ctx, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			bv := &c.Config().BounceVerification
			bv.Keys = append(bv.Keys, store.BVKey{Name: o.Pos[0], Number: bv.FreeNumber(), Secret: o.Named["text"],
				Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
			return nil
		},
	}
}

func TestBVSecretsMasked(t *testing.T) {
	st := newStore(t)
	s, out, _ := batchSession(t, st)
	s.Commands.Add(setbvkeyCommand())
	a := &recordAudit{}
	s.Audit = a
	s.Now = shelltest.FixedTime
	mustExec(t, s, "setbvkey k1 --text topsecret1")
	mustExec(t, s, "setbvkey k2 --text=topsecret2")
	mustExec(t, s, "commit keys")
	for _, l := range a.lines {
		if strings.Contains(l, "topsecret") {
			t.Errorf("cli_logs line shows a secret: %q", l)
		}
	}
	if !strings.Contains(a.lines[0], "setbvkey k1 --text *****|ok") || !strings.Contains(a.lines[1], "--text=*****") {
		t.Errorf("audit lines %q, want the secrets masked", a.lines)
	}
	out.Reset()
	mustExec(t, s, "showconfig")
	if strings.Contains(out.String(), "topsecret") || !strings.Contains(out.String(), `"secret": "*****"`) {
		t.Errorf("showconfig shows a secret or no mask")
	}
	// An operator's saveconfig masks them, and loadconfig refuses the
	// file.
	s.Role = store.RoleOperator
	mustExec(t, s, "saveconfig")
	name := "seg-config-seg.localdomain-" + shelltest.FixedTime().Local().Format("20060102T150405") + ".json"
	data, err := os.ReadFile(filepath.Join(s.DataDir, "configuration", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "topsecret") || !strings.Contains(string(data), `"secret": "*****"`) {
		t.Fatal("an operator's saveconfig holds a secret or no mask")
	}
	if err := s.Execute("loadconfig " + name); err == nil || !strings.Contains(err.Error(), "Files with masked passwords cannot be loaded") {
		t.Errorf("loadconfig of a masked file: %v", err)
	}
	// An admin's saveconfig nomask keeps them.
	s.Role = store.RoleAdmin
	s.Now = func() time.Time { return shelltest.FixedTime().Add(time.Second) }
	out.Reset()
	mustExec(t, s, "saveconfig nomask")
	name = "seg-config-seg.localdomain-" + shelltest.FixedTime().Add(time.Second).Local().Format("20060102T150405") + ".json"
	if data, _ := os.ReadFile(filepath.Join(s.DataDir, "configuration", name)); !strings.Contains(string(data), "topsecret1") {
		t.Error("an admin's saveconfig lost the secrets")
	}
}
