//go:build !unix

package queue

import (
	"os"
	"path/filepath"
)

// lockDir only opens DIR/lock: no advisory locks on this platform.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
}
