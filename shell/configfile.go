package shell

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"seg/store"
)

// showconfig, saveconfig and loadconfig: the whole tree as JSON.

// maskedHash replaces password hashes in showconfig output.
const maskedHash = "*****"

func showconfigCommand() *Command {
	return &Command{
		Name:   "showconfig",
		Help:   "Print the configuration (with this session's changes) as JSON, passwords masked.",
		Usage:  []string{"showconfig"},
		Access: AccessReadOnly,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return errors.New("showconfig takes no arguments.")
			}
			cfg := c.S.candidateOrRunning().Clone()
			for i := range cfg.Users {
				if cfg.Users[i].PasswordHash != "" {
					cfg.Users[i].PasswordHash = maskedHash
				}
			}
			b, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				return err
			}
			c.Printf("%s\n", b)
			return nil
		},
	}
}

// ConfigDir is where saveconfig writes and loadconfig reads.
func (s *Session) ConfigDir() string { return filepath.Join(s.DataDir, "configuration") }

func saveconfigCommand() *Command {
	return &Command{
		Name:   "saveconfig",
		Help:   "Save the running configuration to a file in the configuration directory.",
		Usage:  []string{"saveconfig"},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return errors.New("saveconfig takes no arguments.")
			}
			if c.S.DataDir == "" {
				return errors.New("saveconfig needs the appliance's data directory, and this session has none.")
			}
			cfg := c.S.running().Config
			b, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				return err
			}
			name := fmt.Sprintf("seg-config-%s-%s.json", fileSafe(cfg.System.Hostname),
				c.S.now().In(c.S.loc()).Format("20060102T150405"))
			if err := os.MkdirAll(c.S.ConfigDir(), 0o700); err != nil {
				return fmt.Errorf("Cannot create the configuration directory: %v", err)
			}
			path := filepath.Join(c.S.ConfigDir(), name)
			// The file holds password hashes: owner only, and never
			// overwrite (O_EXCL) a file someone may have placed there.
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("Cannot save the configuration: %v", err)
			}
			_, err = f.Write(append(b, '\n'))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path)
				return fmt.Errorf("Cannot save the configuration: %v", err)
			}
			c.Printf("The file %s has been saved in the configuration directory.\n", name)
			return nil
		},
	}
}

// fileSafe keeps a hostname usable in a file name.
func fileSafe(s string) string {
	if s == "" {
		return "seg"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func loadconfigCommand() *Command {
	return &Command{
		Name:   "loadconfig",
		Help:   "Stage a configuration saved by saveconfig (commit applies it).",
		Usage:  []string{"loadconfig FILE   (a name in the configuration directory, or a path)"},
		Access: AccessOperator,
		Complete: func(c *Ctx, args []string) []string {
			if len(args) != 1 {
				return nil
			}
			entries, _ := os.ReadDir(c.S.ConfigDir())
			var names []string
			for _, e := range entries {
				if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
					names = append(names, e.Name())
				}
			}
			return names
		},
		Run: func(c *Ctx, args []string) error {
			var file string
			switch len(args) {
			case 0:
				if !c.S.Interactive {
					return errors.New("Usage: loadconfig FILE")
				}
				var err error
				file, err = c.AskRequired("Enter the name of the file to load from the configuration directory:", "", nil)
				if err != nil {
					return err
				}
			case 1:
				file = args[0]
			default:
				return errors.New("Usage: loadconfig FILE")
			}
			cfg, err := c.S.readConfigFile(file)
			if err != nil {
				return err
			}
			if cfg.Equal(c.S.candidateOrRunning()) {
				c.Println("No changes detected.")
				return nil
			}
			if c.S.Dirty() && c.S.Interactive {
				yes, err := c.AskYN("Loading the file replaces your uncommitted changes. Continue?", false)
				if err != nil || !yes {
					return err
				}
			}
			c.S.Stage(cfg)
			c.Println("Values have been loaded. Use 'commit' to apply them.")
			return nil
		},
	}
}

// readConfigFile reads a saved configuration. A relative name is looked
// up in the configuration directory first, then as a path: the shell may
// run in the appliance, whose working directory the user cannot know.
func (s *Session) readConfigFile(file string) (*store.Config, error) {
	path := file
	if !filepath.IsAbs(file) && s.DataDir != "" {
		if p := filepath.Join(s.ConfigDir(), file); fileExists(p) {
			path = p
		}
	}
	data, err := readRegularFile(path, maxConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("Error: the file %q does not exist", file)
	}
	if err != nil {
		return nil, fmt.Errorf("Error: cannot read %q: %v", file, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cfg store.Config
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("Parsing failed: %s: %v", file, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("Parsing failed: %s: text after the configuration", file)
	}
	for _, u := range cfg.Users {
		if u.PasswordHash == maskedHash {
			return nil, fmt.Errorf("Parsing failed: %s: the password of user %q is masked (showconfig output); load a file written by saveconfig", file, u.Name)
		}
	}
	return &cfg, nil
}

// maxConfigFile bounds what loadconfig reads: a saved tree is a few
// hundred kilobytes at most.
const maxConfigFile = 16 << 20

// readRegularFile reads a regular file of at most limit bytes. Devices
// and FIFOs are refused before they are opened (/dev/zero never ends, a
// FIFO blocks the session).
func readRegularFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("larger than %d bytes", limit)
	}
	return data, err
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// loc is the zone dates are shown in.
func (s *Session) loc() *time.Location {
	if s.Loc != nil {
		return s.Loc
	}
	return time.Local
}

// Files that import and export commands (hostaccess, rcptaccess,
// destconfig, smtproutes...) read and write live in the configuration
// directory (DATA/configuration), where AsyncOS keeps them. Problems are
// UserErrors.

// ConfigPath maps a file name given to an import or export command to a
// path: absolute paths as given, relative ones in the configuration
// directory.
func (c *Ctx) ConfigPath(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(c.S.ConfigDir(), name)
}

// ReadConfigFile reads a file named as ConfigPath does.
func (c *Ctx) ReadConfigFile(name string) ([]byte, error) {
	b, err := os.ReadFile(c.ConfigPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, Errorf("Error: the file %q does not exist in the configuration directory.", name)
	}
	if err != nil {
		return nil, Errorf("Cannot read %q: %v", name, err)
	}
	return b, nil
}

// WriteConfigFile writes data to a file named as ConfigPath does,
// through a temporary file and a rename so that a reader never sees half
// a file. Writing files is an operator's right, not a read-only user's.
func (c *Ctx) WriteConfigFile(name string, data []byte) error {
	if RoleAccess(c.S.Role) < AccessOperator {
		return Errorf("You are not in the correct access group to write files.")
	}
	path := c.ConfigPath(name)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Errorf("Cannot create %s: %v", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".export-*")
	if err != nil {
		return Errorf("Cannot write %q: %v", name, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return Errorf("Cannot write %q: %v", name, err)
	}
	return nil
}

// ConfigFiles lists the files of the configuration directory, for
// completion.
func (c *Ctx) ConfigFiles() []string {
	entries, _ := os.ReadDir(c.S.ConfigDir())
	var out []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}
