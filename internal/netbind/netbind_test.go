package netbind

import (
	"net"
	"strconv"
	"testing"
)

func TestReasonOfABusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := Try(addr); err == nil || err.Error() != "address already in use" {
		t.Fatalf("Try(%s) = %v, want the bare reason", addr, err)
	}
	ln.Close()
	if err := Try(addr); err != nil {
		t.Fatalf("Try(%s) once free: %v", addr, err)
	}
}
