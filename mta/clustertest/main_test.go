// Package clustertest proves seg's clusters (SPEC 14) end to end: three
// `seg run` processes on their own data directories and ports, a real
// etcd of three members (tools/etcd, `make etcd`), real SMTP clients
// and a recording sink, all on loopback. The effect of a commit is
// judged where it matters, on the other machines' listeners: an
// address list (cluster-level) exempts envelope senders from a sender
// rate limit of 0 (the listeners' HAT, cluster-level like the rest of a listener but its
// address), so a sender's
// RCPT is refused (452) until a commit adds it to the list.
package clustertest

import (
	"testing"

	"seg/internal/segtest"
)

func TestMain(m *testing.M) { segtest.Main(m) }
