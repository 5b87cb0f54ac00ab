package shell

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"seg/internal/confdir"
	"seg/store"
)

// Files that commands read and write (import, export, saveconfig,
// loadconfig, --password-file, certificate and key files) are plain
// names in the configuration directory, DATA/configuration, where AsyncOS
// keeps them, read and written under internal/confdir's rule: nothing
// outside it, no symbolic links, regular files only, a size cap and a
// deadline, atomic writes. Reading a file needs the operator role, as
// writing does: a file's content may reach the screen (in an error
// message about it, however short) and the candidate configuration.
// Problems are UserErrors.

// ConfigDir is the configuration directory.
func (s *Session) ConfigDir() string { return filepath.Join(s.DataDir, "configuration") }

// configDir is the directory under confdir's rule; a session without a
// data directory has none (every access says so).
func (s *Session) configDir() confdir.Dir {
	if s.DataDir == "" {
		return confdir.Dir{}
	}
	return confdir.Dir{Path: s.ConfigDir()}
}

// errFileAccess refuses file access to read-only and guest users, with
// the words of a refused command.
var errFileAccess = &UserError{Msg: ErrAccess.Error()}

// fileError turns a confdir error into a UserError sentence.
func fileError(err error) error {
	var fe *confdir.Error
	if errors.As(err, &fe) {
		return Errorf("Error: %s.", fe)
	}
	return Errorf("Error: %v", err)
}

// ReadConfigFile reads an import file (at most confdir.MaxFile bytes).
func (c *Ctx) ReadConfigFile(name string) ([]byte, error) {
	return c.readFile(name, confdir.MaxFile)
}

// ReadSecretFile reads a file that holds a password on its first line
// (at most confdir.MaxSecret bytes).
func (c *Ctx) ReadSecretFile(name string) ([]byte, error) {
	return c.readFile(name, confdir.MaxSecret)
}

// ReadPasswordFile returns the password on the first line of a secret
// file (ReadSecretFile), without its line end.
func (c *Ctx) ReadPasswordFile(name string) (string, error) {
	data, err := c.ReadSecretFile(name)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

func (c *Ctx) readFile(name string, max int64) ([]byte, error) {
	if RoleAccess(c.S.Role) < AccessOperator {
		return nil, errFileAccess
	}
	b, err := c.S.configDir().ReadFile(name, max)
	if err != nil {
		return nil, fileError(err)
	}
	return b, nil
}

// LoadKeyPair reads a PEM certificate and key from the configuration
// directory, so that a bad pair is refused when it is configured.
func (c *Ctx) LoadKeyPair(cert, key string) (tls.Certificate, error) {
	if RoleAccess(c.S.Role) < AccessOperator {
		return tls.Certificate{}, errFileAccess
	}
	pair, err := c.S.configDir().LoadX509KeyPair(cert, key)
	if err != nil {
		return tls.Certificate{}, Errorf("Cannot use %s and %s as a TLS certificate and key: %v.", cert, key, err)
	}
	return pair, nil
}

// WriteConfigFile writes an export file, replacing a regular file of
// that name.
func (c *Ctx) WriteConfigFile(name string, data []byte) error {
	if RoleAccess(c.S.Role) < AccessOperator {
		return Errorf("You are not in the correct access group to write files.")
	}
	if err := c.S.configDir().WriteFile(name, data); err != nil {
		return fileError(err)
	}
	return nil
}

// ConfigFiles lists the files of the configuration directory, for
// completion (operators and admins only, who may read them).
func (c *Ctx) ConfigFiles() []string {
	if RoleAccess(c.S.Role) < AccessOperator {
		return nil
	}
	return c.S.configDir().List()
}

// readSavedConfig reads a configuration saved by saveconfig. Parse
// errors give the line and what is wrong, quoting no more of the file
// than an excerpt.
func readSavedConfig(c *Ctx, file string) (*store.Config, error) {
	data, err := c.ReadConfigFile(file)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cfg store.Config
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("Parsing failed: %s", jsonProblem(file, data, dec, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("Parsing failed: %s:%d: text after the configuration", file, lineAt(data, dec.InputOffset()))
	}
	// A masked file lost its secrets: loading it would throw away every
	// password and private key (AsyncOS refuses it too).
	if err := refuseMasked(file, data); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// jsonProblem says where and what a JSON decoding error is without
// encoding/json's own text, which quotes unknown field names and number
// literals in full.
func jsonProblem(file string, data []byte, dec *json.Decoder, err error) string {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s:%d: not valid JSON", file, lineAt(data, se.Offset))
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ") // "number 123": the kind only
		return fmt.Sprintf("%s:%d: %s: a %s is not accepted here", file, lineAt(data, te.Offset), store.ExcerptBare(te.Field), kind)
	}
	// Unknown fields and early ends carry no offset; the decoder has
	// read up to the problem.
	msg := "not a saved configuration"
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		msg = "the file ends before the configuration does"
	} else if f, ok := unknownField(err); ok {
		msg = "unknown field " + store.Excerpt(f)
	}
	return fmt.Sprintf("%s:%d: %s", file, lineAt(data, dec.InputOffset()), msg)
}

// unknownField returns the name in encoding/json's "unknown field"
// error (DisallowUnknownFields), which has no type of its own.
func unknownField(err error) (string, bool) {
	q, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	f, uerr := strconv.Unquote(q)
	return f, uerr == nil
}

// lineAt is the line number of byte offset off.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:max(off, 0)], []byte("\n")) + 1
}
