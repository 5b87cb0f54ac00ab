package listenercmd

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

func registry() *shell.Registry {
	return shell.NewRegistry(append(shell.SessionCommands(), Commands()...)...)
}

// newStore is the default configuration with the certificates of a
// started appliance: Default, which seg generates on first start, and
// one more, Mx, for CERTIFICATE to choose.
func newStore() store.Store {
	cfg := store.Default("", "")
	for _, n := range []string{store.DefaultCertificate, "Mx"} {
		ct, err := store.GenerateCertificate(n, "mx.example.com", store.KeyECDSA, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			panic(err)
		}
		cfg.Certificates = append(cfg.Certificates, ct)
	}
	return store.NewMemory(cfg)
}

// TestTranscripts plays every testdata/*.txt transcript (-update rewrites
// their screens).
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			shelltest.RunFile(t, registry(), newStore(), f, func(h *shelltest.Harness) {
				// Files some transcripts import.
				dir := h.S.ConfigDir()
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				for name, text := range transcriptFiles {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			})
		})
	}
}

var transcriptFiles = map[string]string{
	"bad-hat.txt": `# A HAT with mistakes
$GOOD
    ACCEPT {
        max_concurrency = 5000
    }
G1:
    $MISSING (who?)
    10.1.1.300
ALL
    $GOOD
`,
	"rat.txt": "# domains\nexample.com ACCEPT\n.example.com ACCEPT\nALL REJECT\n",
}
