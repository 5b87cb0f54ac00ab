package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"seg/internal/confdir"
	"seg/store"
)

// migrateFilePaths turns the certificate and key paths that earlier
// versions stored (destconfig setup kept whatever path it was given)
// into what the file-access rule accepts now: plain names in
// DATA/configuration, which store.Validate requires. Without it, such a
// configuration would refuse every later commit. A path inside the
// configuration directory becomes its name; any other path is dropped
// with a message (nothing read these fields yet, so no behaviour
// changes). The fix is committed as its own revision, by "system".
func migrateFilePaths(st store.Store, confDir string, out io.Writer) error {
	cur, err := st.Current()
	if err != nil {
		return err
	}
	next := cur.Config.Clone()
	var notes []string
	// A certificate and its key go together (validation wants both or
	// neither): when either lies outside, both are dropped.
	fix := func(obj string, cert, key *string) {
		names := [2]string{*cert, *key}
		moved, outside := false, false
		for i, p := range []*string{cert, key} {
			if *p == "" || confdir.CheckName(*p) == nil {
				continue
			}
			dir, name := filepath.Split(filepath.Clean(*p))
			if filepath.Clean(dir) == filepath.Clean(confDir) && confdir.CheckName(name) == nil {
				names[i], moved = name, true
			} else {
				outside = true
			}
		}
		switch {
		case outside:
			notes = append(notes, fmt.Sprintf("%s: certificate %s and key %s removed: files outside the configuration directory are not read; set them again with files in %s",
				obj, store.Excerpt(*cert), store.Excerpt(*key), confDir))
			*cert, *key = "", ""
		case moved:
			notes = append(notes, fmt.Sprintf("%s: certificate and key are now the names %s and %s", obj, names[0], names[1]))
			*cert, *key = names[0], names[1]
		}
	}
	fix("destconfig setup", &next.DestSetup.CertFile, &next.DestSetup.KeyFile)
	for i := range next.Listeners {
		l := &next.Listeners[i]
		fix("listener "+l.Name, &l.CertFile, &l.KeyFile)
	}
	if len(notes) == 0 {
		return nil
	}
	if _, err := st.Commit(store.CommitRequest{
		Base: cur.Revision.Number, Config: next, User: "system", Role: store.RoleSystem,
		Comment: "certificate and key paths made names in the configuration directory",
	}); err != nil {
		return fmt.Errorf("updating certificate and key paths: %w", err)
	}
	fmt.Fprintf(out, "Configuration updated to the file-access rule:\n  %s\n", strings.Join(notes, "\n  "))
	return nil
}
