package shell

import (
	"bytes"
	"encoding/json"
	"fmt"

	"seg/store"
)

// showconfig and saveconfig ask AsyncOS's question before printing or
// writing the configuration: masked (the default), every secret in it
// is replaced by "*****" (password hashes, certificates' and DKIM
// signing keys' private keys, bounce verification secrets), and
// loadconfig refuses the file, as AsyncOS does: a masked file cannot be
// loaded without losing those secrets. Batch and one-shot runs take
// "mask" or "nomask" as the argument, and mask without one. Only an
// admin may have the secrets (issue 8): other roles are not asked and
// always get them masked.

// maskQuestion is AsyncOS's question, word for word.
const maskQuestion = "Do you want to mask the password? Files with masked passwords cannot be loaded using loadconfig command."

// maskArgs are the batch forms' arguments, for completion.
var maskArgs = []string{"mask", "nomask"}

// chooseMask reads the mask|nomask argument of command name, or asks.
// It reports whether the output is to be masked.
func chooseMask(c *Ctx, name string, args []string) (bool, error) {
	admin := RoleAccess(c.S.Role) >= AccessAdmin
	switch {
	case len(args) > 1:
		return false, fmt.Errorf("Usage: %s [mask|nomask]", name)
	case len(args) == 1 && args[0] == "mask":
		return true, nil
	case len(args) == 1 && args[0] == "nomask":
		if !admin {
			return false, fmt.Errorf("Only an admin may %s the configuration with its passwords: use %s mask.", verbOf(name), name)
		}
		return false, nil
	case len(args) == 1:
		return false, fmt.Errorf("Usage: %s [mask|nomask]", name)
	case !admin || !c.S.Interactive:
		return true, nil
	}
	return c.AskYN(maskQuestion, true)
}

func verbOf(name string) string {
	if name == "showconfig" {
		return "show"
	}
	return "save"
}

// maskSecrets returns a copy of cfg with every secret masked.
func maskSecrets(cfg *store.Config) *store.Config {
	out := cfg.Clone()
	for i := range out.Certificates {
		out.Certificates[i].KeyPEM = store.MaskedKey
	}
	for i := range out.Users {
		if out.Users[i].PasswordHash != "" {
			out.Users[i].PasswordHash = maskedHash
		}
	}
	maskBVSecrets(out)
	maskDKIMKeys(out)
	return out
}

// maskedFields are the JSON names of the secrets maskSecrets masks, and
// what loadconfig calls them.
var maskedFields = map[string]string{
	"password_hash": "a user's password",
	"key_pem":       "a certificate's private key",
	"private_key":   "a DKIM signing key's private key",
	"secret":        "a bounce verification secret",
}

// refuseMasked returns an error naming file and the line of the first
// masked secret in data, a saved configuration; nil if none is masked.
func refuseMasked(file string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	// Each open object or array; in an object, whether the next string
	// is a key.
	type level struct{ object, wantKey bool }
	var (
		stack []level
		key   string
	)
	for {
		tok, err := dec.Token()
		if err != nil {
			// The file was decoded before: the end of it.
			return nil
		}
		top := len(stack) - 1
		if s, ok := tok.(string); ok && top >= 0 && stack[top].object && stack[top].wantKey {
			key, stack[top].wantKey = s, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		default:
			if what, ok := maskedFields[key]; ok && (tok == maskedHash || tok == store.MaskedKey) {
				return fmt.Errorf("Parsing failed: %s:%d: %s (%s) is masked. Files with masked passwords cannot be loaded: load a file saved unmasked (saveconfig nomask, as an admin).",
					file, lineAt(data, dec.InputOffset()), what, key)
			}
		}
		// A value ended: in an object, a key comes next.
		if n := len(stack) - 1; n >= 0 && stack[n].object {
			stack[n].wantKey = true
		}
	}
}
