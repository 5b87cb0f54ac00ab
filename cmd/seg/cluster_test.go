package main

import (
	"io"
	"strings"
	"testing"

	"seg/shell"
	"seg/store/clusterstore"
)

type statusOnly struct{ shell.MailSystem }

func (statusOnly) Status(w io.Writer, detail bool) error {
	_, err := io.WriteString(w, "System status:                 Online\n")
	return err
}

type fixedState clusterstore.State

func (f fixedState) State() clusterstore.State { return clusterstore.State(f) }

// status names the cluster and the revision the machine runs, only when
// it is in one.
func TestStatusNamesCluster(t *testing.T) {
	var b strings.Builder
	if err := (clusterMail{statusOnly{}, fixedState{}}).Status(&b, false); err != nil {
		t.Fatal(err)
	}
	if b.String() != "System status:                 Online\n" {
		t.Fatalf("standalone status: %q", b.String())
	}
	b.Reset()
	st := fixedState{Name: "mail", Machine: "seg1.example.com", Group: "Main", Applied: 12}
	if err := (clusterMail{statusOnly{}, st}).Status(&b, false); err != nil {
		t.Fatal(err)
	}
	want := "System status:                 Online\n\nCluster:                       mail (machine seg1.example.com, group Main)\nCluster revision applied:      12; the cluster configuration store is unreachable\n"
	if b.String() != want {
		t.Fatalf("clustered status:\n%s\nwant:\n%s", b.String(), want)
	}
}
