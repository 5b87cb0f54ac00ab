package segtest

import (
	"os"
	"os/exec"
	"testing"
)

// SmallFS mounts a tmpfs of size ("2m", "256k") at dir, creating dir, for
// tests that fill a filesystem for real (a full queue). It needs root
// (CAP_SYS_ADMIN), as `make test` in the CI container has; without it
// the test fails and says so. The filesystem is detached when the test
// ends (lazily: a seg still running, or a file still open, keeps it
// until it lets go, so cleanup order does not matter).
func SmallFS(t testing.TB, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("this test mounts a %s tmpfs at %s to fill it, which needs root: mount: %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}
