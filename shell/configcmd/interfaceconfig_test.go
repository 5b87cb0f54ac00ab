package configcmd

import (
	"reflect"
	"testing"

	"seg/store"
)

func TestInterfaceconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("interfaceconfig print"); got != "Currently configured interfaces:\n1. Management (127.0.0.1)\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("interfaceconfig new Data1 --address 127.0.0.5")
	b.ok("interfaceconfig new V6 address=::1")
	b.fail("interfaceconfig new data1 --address 127.0.0.6", "already exists")
	b.fail("interfaceconfig new Data2 --address 127.0.0.5", "already the address of interface Data1")
	b.fail("interfaceconfig new Data2 --address 0.0.0.0", "cannot be an interface's address")
	b.fail("interfaceconfig new Data2 --address mail.example.com", "is not an IP address")
	b.fail("interfaceconfig new 'Data 2' --address 127.0.0.7", "use letters, digits")
	b.fail("interfaceconfig new Data2", "Usage: interfaceconfig new")
	b.fail("interfaceconfig new Data2 --address 127.0.0.7 --netmask 24", "Unknown option --netmask")
	b.commit()
	b.ok("interfaceconfig edit data1 --name Outside --address 127.0.0.8")
	b.fail("interfaceconfig edit V6 --address 127.0.0.8", "already the address of interface Outside")
	b.fail("interfaceconfig edit Nope --address 127.0.0.9", "There is no interface named")
	b.fail("interfaceconfig edit V6", "Usage: interfaceconfig edit")
	b.ok("interfaceconfig delete v6")
	b.fail("interfaceconfig delete v6", "There is no interface named")
	want := []store.IPInterface{{Name: "Management", Address: "127.0.0.1"}, {Name: "Outside", Address: "127.0.0.8"}}
	if got := b.cfg().Interfaces; !reflect.DeepEqual(got, want) {
		t.Errorf("interfaces %+v, want %+v", got, want)
	}
	b.commit()
	// Deleting the default listener's interface says what the log shows.
	if got := b.ok("interfaceconfig delete Management"); got != "Note: listener IncomingMail is on 127.0.0.1, which no interface names now: mail_logs shows the listener's name in its New SMTP ICID lines.\n" {
		t.Errorf("delete Management: %q", got)
	}
	b.commit()
	if got := interfaceNameArg(b.ctx(), b.cfg(), []string{"O"}); !reflect.DeepEqual(got, []string{"Outside"}) {
		t.Errorf("completion: %q", got)
	}
}

func TestInterfaceconfigTranscript(t *testing.T) {
	transcript(t, "interfaceconfig.txt")
}
