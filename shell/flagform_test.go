package shell_test

import (
	"strings"
	"testing"
)

// A boolean flag takes no value: --cluster=off must be refused, not
// read as the single-machine view (or --move=no as a copy).
func TestBooleanFlagsTakeNoValue(t *testing.T) {
	for _, line := range []string{
		"status --cluster=off",
		"tophosts --cluster=no",
		"clusterset dns --from cluster --to group:Main --move=no",
	} {
		s, _, errOut := batchSession(t, newStore(t))
		s.Cluster = newClustered()
		s.Mail = &fakeMail{}
		err := s.RunOneShot(line)
		if err == nil || !strings.Contains(errOut.String()+err.Error(), "Usage") {
			t.Errorf("%s: %v, stderr %q: want a usage error", line, err, errOut)
		}
	}
}
