package mta

import (
	"context"
	"testing"
	"time"
)

// Commit waits on appliedRevision: a revision already applied returns at
// once, a later one when set reaches it (or passes it: the watch may skip
// revisions), and a deadline ends the wait.
func TestAppliedRevision(t *testing.T) {
	var a appliedRevision
	a.set(3)
	if err := a.wait(context.Background(), 2); err != nil {
		t.Fatalf("revision 2 after 3 was applied: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.wait(context.Background(), 5) }()
	a.set(4)
	select {
	case err := <-done:
		t.Fatalf("revision 5 returned after only 4 was applied: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	a.set(6) // the watch skipped 5
	if err := <-done; err != nil {
		t.Fatalf("revision 5 after 6 was applied: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := a.wait(ctx, 9); err == nil {
		t.Fatal("revision 9 was never applied, yet the wait returned nil")
	}
}

// A switch of history (the machine joined a cluster, numbered from 1)
// lowers the applied number: a commit of the new history's revision 2
// waits for it instead of returning because the old history reached 40.
func TestAppliedRevisionAfterHistorySwitch(t *testing.T) {
	var a appliedRevision
	a.set(40)
	a.set(1) // the cluster's revision 1
	done := make(chan error, 1)
	go func() { done <- a.wait(context.Background(), 2) }()
	select {
	case err := <-done:
		t.Fatalf("revision 2 of the new history returned before it was applied: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	a.set(2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
