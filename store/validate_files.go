package store

import "seg/internal/confdir"

// checkFileNames checks the files a configuration names (a TLS
// certificate and key): plain names in DATA/configuration, read there
// under confdir's rule. A path would let a configuration (loadconfig, an
// old revision) point the appliance at any file it can read.
func checkFileNames(p *problems, obj string, files map[string]string) {
	for _, what := range []string{"certificate", "key"} {
		name := files[what]
		if name == "" {
			continue
		}
		if confdir.CheckName(name) != nil {
			p.add("%s: the %s file %s must be a file name in the configuration directory (no \"/\", no \"..\")", obj, what, Excerpt(name))
		}
	}
}
