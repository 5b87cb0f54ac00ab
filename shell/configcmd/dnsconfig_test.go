package configcmd

import (
	"reflect"
	"testing"

	"seg/store"
)

func TestDnsconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("dnsconfig print"); got != "Currently using the system resolver.\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("dnsconfig setup --servers 127.0.0.1:5353,::1,[::1]:5300,ns.example.net")
	want := store.DNSConfig{Servers: []string{"127.0.0.1:5353", "[::1]:53", "[::1]:5300", "ns.example.net:53"}}
	if got := b.cfg().System.DNS; !reflect.DeepEqual(got, want) {
		t.Errorf("dns = %+v, want %+v", got, want)
	}
	if got := b.ok("dnsconfig print"); got != "Currently using the following DNS servers:\n1. 127.0.0.1:5353\n2. [::1]:53\n3. [::1]:5300\n4. ns.example.net:53\n" {
		t.Errorf("print: %q", got)
	}
	b.commit()
	b.fail("dnsconfig setup --servers 127.0.0.1:abc", `DNS server "127.0.0.1:abc"`)
	b.fail("dnsconfig setup --servers bad_host!", `DNS server "bad_host!"`)
	b.fail("dnsconfig setup --servers=", "Enter at least one DNS server")
	b.fail("dnsconfig setup", "Usage: dnsconfig setup")
	b.fail("dnsconfig setup --system --servers 127.0.0.1", "Usage: dnsconfig setup")
	b.fail("dnsconfig setup --bogus 1", "Unknown option --bogus")
	b.fail("dnsconfig frob", `Unknown dnsconfig operation "frob"`)
	b.ok("dnsconfig setup --system")
	if got := b.cfg().System.DNS; !got.UseSystem || len(got.Servers) != 0 {
		t.Errorf("dns = %+v", got)
	}
	b.commit()
}

func TestDnsconfigTranscript(t *testing.T) {
	transcript(t, "dnsconfig.txt")
}
