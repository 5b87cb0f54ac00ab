package store

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSBRSZones(t *testing.T) {
	got, err := ParseSBRSZones("BL.example.org.:-6.5, good.example.org:+2,x.test:0")
	want := []SBRSZone{{"bl.example.org", -6.5}, {"good.example.org", 2}, {"x.test", 0}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
	if s := got[0].String() + " " + got[1].String(); s != "bl.example.org:-6.5 good.example.org:2.0" {
		t.Errorf("String: %q", s)
	}
	for in, msg := range map[string]string{
		"bl.example.org":      "Invalid SBRS zone",
		"bl.example.org:10.5": "Invalid weight",
		"bl.example.org:0x1":  "Invalid weight",
		"bl.example.org:NaN":  "Invalid weight",
		":1":                  "not a valid DNS name",
		"a..b:1":              "not a valid DNS name",
		"a.test:1,A.TEST.:2":  "listed twice",
		" , ":                 "no SBRS zones given",
	} {
		if _, err := ParseSBRSZones(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", in, err, msg)
		}
	}
}

func TestSBRSScore(t *testing.T) {
	for sum, want := range map[float64]float64{-11.25: -10, 12: 10, -2.54: -2.5, 0.04: 0, -0.04: 0, 3: 3} {
		if got := SBRSScore(sum); got != want {
			t.Errorf("SBRSScore(%v) = %v, want %v", sum, got, want)
		}
	}
}

func TestSBRSValidateChangesMerge(t *testing.T) {
	base := testConfig()
	bad := base.Clone()
	bad.System.SBRS.Zones = []SBRSZone{{"bl.test", -11}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "sbrs: SBRS zone \"bl.test\": weight -11") {
		t.Errorf("Validate: %v", err)
	}
	mine := base.Clone()
	mine.System.SBRS.Zones = []SBRSZone{{"bl.test", -5}}
	if got := Changes(base, mine); !reflect.DeepEqual(got, []Change{{"sbrs", ChangeModified}}) {
		t.Errorf("Changes = %v", got)
	}
	theirs := base.Clone()
	theirs.System.Hostname = "theirs.example.com"
	got, conflicts := Merge(base, mine, theirs)
	if len(conflicts) != 0 || !reflect.DeepEqual(got.System.SBRS, mine.System.SBRS) || got.System.Hostname != "theirs.example.com" {
		t.Errorf("Merge: %+v %v", got.System, conflicts)
	}
}
