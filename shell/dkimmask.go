package shell

import "seg/store"

// DKIM private keys (domainkeys) are masked where certificate keys are
// (configmask.go): in masked showconfig and saveconfig output, which
// loadconfig refuses.

func maskDKIMKeys(cfg *store.Config) {
	for i := range cfg.DomainKeys.Keys {
		cfg.DomainKeys.Keys[i].PrivateKey = store.MaskedKey
	}
}
