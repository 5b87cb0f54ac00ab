package configcmd

import (
	"reflect"
	"testing"

	"seg/store"
)

func TestSbrsconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("sbrsconfig print"); got != "SBRS: no zones configured (every host scores None).\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("sbrsconfig setup --zones BL.Example.org.:-5,good.example.org:2.5,bad.example.net:-10.0")
	want := store.SBRSConfig{Zones: []store.SBRSZone{{Zone: "bl.example.org", Weight: -5}, {Zone: "good.example.org", Weight: 2.5}, {Zone: "bad.example.net", Weight: -10}}}
	if got := b.cfg().System.SBRS; !reflect.DeepEqual(got, want) {
		t.Errorf("sbrs = %+v, want %+v", got, want)
	}
	if got := b.ok("sbrsconfig print"); got != "SBRS is computed from the following zones:\nbl.example.org:-5.0\ngood.example.org:2.5\nbad.example.net:-10.0\n" {
		t.Errorf("print: %q", got)
	}
	b.commit()
	b.fail("sbrsconfig setup --zones bl.example.org", "Invalid SBRS zone")
	b.fail("sbrsconfig setup --zones bl.example.org:-11", "Invalid weight")
	b.fail("sbrsconfig setup --zones bl.example.org:1e1", "Invalid weight")
	b.fail("sbrsconfig setup --zones bad_zone!:1", "not a valid DNS name")
	b.fail("sbrsconfig setup --zones a.test:1,A.test:2", "listed twice")
	b.fail("sbrsconfig setup --zones=", "No SBRS zones given")
	b.fail("sbrsconfig setup", "Usage: sbrsconfig setup")
	b.fail("sbrsconfig setup --clear --zones a.test:1", "Usage: sbrsconfig setup")
	if got := b.cfg().System.SBRS; !reflect.DeepEqual(got, want) {
		t.Errorf("a refused setup changed sbrs: %+v", got)
	}
	b.ok("sbrsconfig setup --clear")
	if got := b.cfg().System.SBRS; len(got.Zones) != 0 {
		t.Errorf("sbrs = %+v", got)
	}
	b.commit()
}

func TestSbrsconfigTranscript(t *testing.T) {
	transcript(t, "sbrsconfig.txt")
}
