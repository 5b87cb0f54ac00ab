package netbind

import (
	"net"
	"strconv"
	"testing"
)

// 127.0.0.1:P to 0.0.0.0:P: the old socket holds the port, so it is
// closed first and the new address bound.
func TestReplaceWidensOwnPort(t *testing.T) {
	var ln, back net.Listener
	var err error
	closed := false
	// The port the kernel picks for 127.0.0.1 may be held on another
	// loopback address by some other program's socket (then 0.0.0.0:P is
	// taken, and Replace rightly reopens the old address): try another.
	for try := 0; try < 5; try++ {
		old, lerr := Listen("127.0.0.1:0")
		if lerr != nil {
			t.Fatal(lerr)
		}
		port := strconv.Itoa(old.Addr().(*net.TCPAddr).Port)
		closed = false
		ln, back, err = Replace(old, "127.0.0.1:"+port, "0.0.0.0:"+port, func() { old.Close(); closed = true })
		if err == nil || back == nil {
			break
		}
		back.Close()
	}
	if err != nil || ln == nil || back != nil || !closed {
		t.Fatalf("Replace = %v, %v, %v (closed %v); want a listener, the old one closed", ln, back, err, closed)
	}
	ln.Close()
}

// The same move with another program on 127.0.0.2:P: the wider bind
// fails, and the old address is bound again.
func TestReplaceFailsAndReopens(t *testing.T) {
	old, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(old.Addr().(*net.TCPAddr).Port)
	other, err := net.Listen("tcp", "127.0.0.2:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ln, back, err := Replace(old, "127.0.0.1:"+port, "0.0.0.0:"+port, func() { old.Close() })
	if ln != nil || err == nil || err.Error() != "address already in use" || back == nil {
		t.Fatalf("Replace = %v, %v, %v; want the bare reason and the old address reopened", ln, back, err)
	}
	if got := back.Addr().String(); got != "127.0.0.1:"+port {
		t.Errorf("reopened %s", got)
	}
	back.Close()
}

// A free new address: bound while the old one still serves.
func TestReplaceKeepsOldUntilBound(t *testing.T) {
	old, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	ln, back, err := Replace(old, old.Addr().String(), "127.0.0.1:0", func() { t.Error("closeOld called") })
	if err != nil || ln == nil || back != nil {
		t.Fatalf("Replace = %v, %v, %v", ln, back, err)
	}
	ln.Close()
}
