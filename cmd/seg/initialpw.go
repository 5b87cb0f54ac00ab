package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"seg/internal/confdir"
	"seg/store"
)

// initialPasswordFile is DATA/initial-admin-password: the admin password
// generated at first start, for the operator to log in with. It is a
// password in a file, so it stays only as long as it is needed (issue 8):
//
//   - until user admin logs in over SSH, by password or by key: the
//     operator then has the means to log in. Console (`seg run
//     --console`) and control-socket (`seg cli`) sessions do not count:
//     they are opened without a password by whoever already holds the
//     appliance's files, and removing the file then would lose the only
//     copy of a password nobody has used yet.
//   - until admin's password is no longer the file's, however it changed
//     (userconfig, loadconfig, rollbackconfig, or the account's removal):
//     checked at start-up, after each commit while seg runs, and after an
//     offline `seg cli` session.
const initialPasswordFile = "initial-admin-password"

// initialPassword removes DATA/initial-admin-password when it is no
// longer needed.
type initialPassword struct {
	path string
	logf func(format string, args ...any)

	mu      sync.Mutex
	matched string // the admin hash the file's password was last found to match
}

func newInitialPassword(d *dataDir, logf func(string, ...any)) *initialPassword {
	return &initialPassword{path: d.file(initialPasswordFile), logf: logf}
}

// loggedIn is called for every SSH session: admin's removes the file.
func (p *initialPassword) loggedIn(user string) {
	if user != "admin" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove("user admin has logged in over SSH")
}

// check removes the file when admin's password in cfg is not the file's.
func (p *initialPassword) check(cfg *store.Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pw, err := p.read()
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		// Not ours to read (a link, a directory, a huge file): it holds
		// no password seg wrote, and is left alone.
		p.logf("%s: %v", p.path, err)
		return
	}
	var hash string
	if u := cfg.User("admin"); u != nil {
		hash = u.PasswordHash
	}
	if hash != "" && hash == p.matched {
		return // unchanged since it was checked: no second bcrypt
	}
	if hash != "" && store.CheckPassword(hash, pw) {
		p.matched = hash
		return
	}
	p.remove("the admin password has changed")
}

// watch checks each committed configuration until ctx ends.
func (p *initialPassword) watch(ctx context.Context, st store.Store) {
	snaps, stop := st.Watch()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case snap, ok := <-snaps:
			if !ok {
				return
			}
			p.check(snap.Config)
		}
	}
}

// read returns the password the file holds, read under the same rule as
// every file a command names (internal/confdir): a small regular file,
// no link, in the data directory.
func (p *initialPassword) read() (string, error) {
	b, err := confdir.Dir{Path: filepath.Dir(p.path)}.ReadFile(filepath.Base(p.path), maxInitialPassword)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), nil
}

// maxInitialPassword bounds the file: seg writes 21 bytes.
const maxInitialPassword = 1024

// remove deletes the file, with the mutex held.
func (p *initialPassword) remove(why string) {
	err := os.Remove(p.path)
	switch {
	case err == nil:
		p.logf("removed %s: %s", p.path, why)
	case !errors.Is(err, fs.ErrNotExist):
		p.logf("removing %s: %v", p.path, err)
	}
}
