package shell

import (
	"fmt"

	"seg/store"
)

// Bounce verification secrets (bvconfig) are masked where password
// hashes are: in showconfig always, in saveconfig unless an admin saves.
// A masked secret in a file loadconfig reads keeps the appliance's
// current secret of the key with that name.

func maskBVSecrets(cfg *store.Config) {
	for i := range cfg.BounceVerification.Keys {
		cfg.BounceVerification.Keys[i].Secret = maskedHash
	}
}

func unmaskBVSecrets(cfg, run *store.Config, file string) error {
	for i := range cfg.BounceVerification.Keys {
		k := &cfg.BounceVerification.Keys[i]
		if k.Secret != maskedHash {
			continue
		}
		cur := run.BounceVerification.Key(k.Name)
		if cur == nil {
			return fmt.Errorf("Parsing failed: %s: the secret of bounce verification key %s is masked, and the appliance has no key of that name to keep; load a file saved by an admin, or remove the key from the file", file, store.Excerpt(k.Name))
		}
		k.Secret = cur.Secret
	}
	return nil
}
