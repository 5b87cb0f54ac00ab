//go:build !linux

package queue

import "os"

// datasync flushes a segment; without fdatasync, a full fsync.
func datasync(f *os.File) error { return f.Sync() }
