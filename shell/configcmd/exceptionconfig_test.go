package configcmd

import (
	"reflect"
	"testing"

	"seg/store"
)

func TestExceptionconfigBatch(t *testing.T) {
	b := newBatch(t)
	b.ok("exceptionconfig new @Example.COM ACCEPT")
	b.ok("exceptionconfig new Boss@Mail.Example.com reject --code 550 --text Not_you")
	b.ok("exceptionconfig new @.spam.test REJECT")
	want := []store.SenderException{
		{Match: "@example.com", Action: "ACCEPT"},
		{Match: "Boss@mail.example.com", Action: "REJECT", Code: 550, Text: "Not_you"},
		{Match: "@.spam.test", Action: "REJECT"},
	}
	if got := b.cfg().SenderExceptions; !reflect.DeepEqual(got, want) {
		t.Fatalf("entries %+v, want %+v", got, want)
	}
	b.fail("exceptionconfig new @example.com REJECT", "An entry for @example.com already exists")
	b.fail("exceptionconfig new example.com ACCEPT", "not an address, @domain or @.domain")
	b.fail("exceptionconfig new @x.test DROP", `Unknown action "DROP"`)
	b.fail("exceptionconfig new @x.test ACCEPT --code 550", "an ACCEPT entry takes no response code or text")
	b.fail("exceptionconfig new @x.test REJECT --code 250", "must be from 400 to 599")
	b.fail("exceptionconfig new @x.test REJECT --code abc", "is not a number")
	b.fail("exceptionconfig new @x.test REJECT --colour red", "Unknown option --colour")
	b.fail("exceptionconfig new @x.test", "Usage: exceptionconfig new")
	out := b.ok("exceptionconfig print")
	wantOut := "@example.com ACCEPT\nBoss@mail.example.com REJECT 550 \"Not_you\"\n@.spam.test REJECT 553 \"#5.7.1 Envelope sender <$EnvelopeSender> rejected\"\n"
	if out != wantOut {
		t.Errorf("print:\n%s\nwant:\n%s", out, wantOut)
	}
	b.commit()
	b.ok("exceptionconfig delete @Example.com")
	b.fail("exceptionconfig delete @example.com", `There is no entry for "@example.com"`)
	if n := len(b.cfg().SenderExceptions); n != 2 {
		t.Errorf("%d entries after delete", n)
	}
}

func TestExceptionconfigTranscript(t *testing.T) {
	transcript(t, "exceptionconfig.txt")
}
