package shell

import (
	"fmt"

	"seg/store"
)

// DKIM private keys (domainkeys) are masked where certificate keys are:
// in showconfig always, in saveconfig unless an admin saves. A masked
// key in a file loadconfig reads keeps the appliance's key of that name,
// provided it is the same key (same algorithm and creation time):
// another key of that name would sign with a private half the file does
// not hold.

func maskDKIMKeys(cfg *store.Config) {
	for i := range cfg.DomainKeys.Keys {
		cfg.DomainKeys.Keys[i].PrivateKey = store.MaskedKey
	}
}

func unmaskDKIMKeys(cfg, run *store.Config, file string) error {
	for i := range cfg.DomainKeys.Keys {
		k := &cfg.DomainKeys.Keys[i]
		if k.PrivateKey != store.MaskedKey {
			continue
		}
		cur := run.DomainKeys.Key(k.Name)
		if cur == nil || cur.Algorithm != k.Algorithm || !cur.Created.Equal(k.Created) {
			return fmt.Errorf("Parsing failed: %s: the private key of DKIM signing key %s is masked, and the appliance has no such key to keep; load a file saved by an admin, or remove the key from the file", file, store.Excerpt(k.Name))
		}
		k.PrivateKey = cur.PrivateKey
	}
	return nil
}
