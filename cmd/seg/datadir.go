package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/sshd"
	"seg/store"
	"seg/store/clusterstore"
)

// dataDir is the appliance's data directory (SPEC 1): config.db, queue/,
// logs/, configuration/, ssh_host_ed25519_key, seg.sock, and on a
// cluster member cluster.json and cluster.db.
type dataDir struct {
	path    string
	hostKey ssh.Signer
	serial  string // derived from the host key: stable for this appliance
}

// prepareDataDir creates the directory layout and the SSH host key on
// first use. The directories are mode 0700, also when they exist with
// another mode (made by hand, or restored from a backup): they hold the
// config with password hashes, the queued mail and the logs, and the
// control socket trusts whoever can reach it. config.db and the SSH
// host key are made 0600 for the same reason.
func prepareDataDir(path string) (*dataDir, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{abs, filepath.Join(abs, "logs"), filepath.Join(abs, "configuration"), filepath.Join(abs, "queue")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, fmt.Errorf("making %s private (mode 0700): %w", d, err)
		}
	}
	for _, f := range []string{"config.db", "ssh_host_ed25519_key"} {
		f = filepath.Join(abs, f)
		if err := os.Chmod(f, 0o600); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("making %s private (mode 0600): %w", f, err)
		}
	}
	key, err := sshd.LoadOrCreateHostKey(filepath.Join(abs, "ssh_host_ed25519_key"))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key.PublicKey().Marshal())
	return &dataDir{
		path:    abs,
		hostKey: key,
		serial:  fmt.Sprintf("%X-%X", sum[:6], sum[6:10]),
	}, nil
}

func (d *dataDir) file(name ...string) string {
	return filepath.Join(append([]string{d.path}, name...)...)
}

// openStore opens DIR/config.db. On an empty data dir it writes the
// embedded default (SPEC 2) with hostname and the admin password from
// $SEG_ADMIN_PASSWORD, or a generated one that is printed once on out and
// written to DIR/initial-admin-password (mode 0600; see initialpw.go for
// when it is removed). hostname only
// matters then; created reports whether the default was written.
// The store is the node (store/clusterstore) over config.db: with a
// cluster membership (DIR/cluster.json) it starts clustered, on its
// cached revision when etcd is down.
func (d *dataDir) openStore(hostname string, out io.Writer, logf func(string, ...any)) (*clusterstore.Node, bool, error) {
	local, created, err := d.openLocal(hostname, out)
	if err != nil {
		return nil, false, err
	}
	node, err := clusterstore.Open(local, clusterstore.Options{Dir: d.path, Logf: logf})
	if err != nil {
		local.Close()
		return nil, false, err
	}
	return node, created, nil
}

// openLocal opens and migrates DIR/config.db.
func (d *dataDir) openLocal(hostname string, out io.Writer) (st *store.Bolt, created bool, err error) {
	var generated string
	initial := func() (*store.Config, error) {
		created = true
		pw := os.Getenv("SEG_ADMIN_PASSWORD")
		if pw == "" {
			pw = generatePassword()
			generated = pw
		}
		hash, err := store.HashPassword(pw)
		if err != nil {
			return nil, fmt.Errorf("admin password from SEG_ADMIN_PASSWORD: %v", err)
		}
		cfg := store.Default(hostname, hash)
		// The Default certificate (SPEC 10) is in the first revision.
		ct, err := store.GenerateCertificate(store.DefaultCertificate, cfg.System.Hostname, store.KeyECDSA, time.Now())
		if err != nil {
			return nil, fmt.Errorf("generating the Default certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, ct)
		return cfg, nil
	}
	st, err = store.OpenBolt(d.file("config.db"), initial)
	if err != nil {
		return nil, false, err
	}
	if err := migrateFilePaths(st, d.file("configuration"), out); err != nil {
		st.Close()
		return nil, false, err
	}
	if err := ensureCertificates(st, d.file("configuration"), hostname, out); err != nil {
		st.Close()
		return nil, false, err
	}
	if generated != "" {
		pwFile := d.file(initialPasswordFile)
		if err := os.WriteFile(pwFile, []byte(generated+"\n"), 0o600); err != nil {
			st.Close()
			return nil, false, fmt.Errorf("writing %s: %w", pwFile, err)
		}
		fmt.Fprintf(out, "Initial password for user admin: %s\n(also in %s, which is removed when admin first logs in over SSH or the password changes; change it with userconfig)\n", generated, pwFile)
	}
	return st, created, nil
}

// generatePassword returns 20 random characters from an alphabet without
// look-alikes (0/O, 1/l/I), about 115 bits.
func generatePassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < 20 {
		if _, err := rand.Read(buf); err != nil {
			panic("crypto/rand failed: " + err.Error()) // never on Linux
		}
		// Reject the top of the byte range so every letter is equally
		// likely.
		if int(buf[0]) < 256-256%len(alphabet) {
			b.WriteByte(alphabet[int(buf[0])%len(alphabet)])
		}
	}
	return b.String()
}
