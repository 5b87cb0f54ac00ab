package configcmd

import "testing"

// TestPartialLines: partial command lines open their menus on a
// terminal (testdata/partial.txt).
func TestPartialLines(t *testing.T) {
	transcript(t, "partial.txt",
		"policyconfig incoming new sales --recipients @sales.example.com",
		"destconfig new example.com --max_host_concurrency=10")
}
