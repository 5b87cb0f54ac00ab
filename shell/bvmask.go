package shell

import "seg/store"

// Bounce verification secrets (bvconfig) are masked where password
// hashes are (configmask.go): in masked showconfig and saveconfig
// output, which loadconfig refuses.

func maskBVSecrets(cfg *store.Config) {
	for i := range cfg.BounceVerification.Keys {
		cfg.BounceVerification.Keys[i].Secret = maskedHash
	}
}
