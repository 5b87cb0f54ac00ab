package configcmd

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"seg/shell"
	"seg/store"
)

// certconfig: the certificates listeners present for STARTTLS and the CA
// certificates client certificates are verified against (SPEC 10). They
// live in the configuration; the private key is never printed.

func certconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "certconfig",
		Help:   "Configure the certificates listeners present for STARTTLS and the CAs client certificates are verified against.",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\nCertificates: %d. Client CAs: %d. (PRINT lists them.)\n", len(cfg.Certificates), len(cfg.ClientCAs))
		},
		Table: &shell.Table[*store.Config]{Prefix: "certconfig", Ops: certOps},
	}.Command()
}

var certOps = []shell.Operation[*store.Config]{
	{Name: "generate", Desc: "Generate a self-signed certificate.", Access: shell.AccessOperator,
		Usage: []string{"NAME --cn COMMON_NAME [--key-type ecdsa|rsa]   (ecdsa: P-256, the default; rsa: 2048 bits)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("cn", "key-type"); err != nil {
				return err
			}
			if len(o.Pos) != 1 || o.Named["cn"] == "" {
				return shell.ErrUsage
			}
			return generateCert(c, cfg, o.Pos[0], o.Named["cn"], o.Named["key-type"])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := askNewCertName(c, cfg)
			if err != nil || name == "" {
				return err
			}
			cn, err := shell.AskRequired(c, "Enter the common name (the host name clients connect to).", cfg.System.Hostname, nil)
			if err != nil {
				return err
			}
			i, err := shell.Choose(c, "Choose the key type.", []string{"ECDSA P-256", "RSA 2048"}, 1)
			if err != nil {
				return err
			}
			return generateCert(c, cfg, name, cn, []string{store.KeyECDSA, store.KeyRSA}[i])
		}},
	{Name: "import", Desc: "Import a certificate and its private key from files.", Access: shell.AccessOperator,
		Usage: []string{"NAME --cert FILE --key FILE [--chain FILE]   (PEM files in DATA/configuration)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("cert", "key", "chain"); err != nil {
				return err
			}
			if len(o.Pos) != 1 || o.Named["cert"] == "" || o.Named["key"] == "" {
				return shell.ErrUsage
			}
			return importCert(c, cfg, o.Pos[0], o.Named["cert"], o.Named["key"], o.Named["chain"])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := askNewCertName(c, cfg)
			if err != nil || name == "" {
				return err
			}
			cert, err := shell.AskRequired(c, "Enter the name of the certificate file (PEM) in the configuration directory.", "", nil)
			if err != nil {
				return err
			}
			key, err := shell.AskRequired(c, "Enter the name of the private key file (PEM).", "", nil)
			if err != nil {
				return err
			}
			chain, err := shell.Ask(c, "Enter the name of a file with the intermediate certificates (PEM), or leave it empty.", "", nil)
			if err != nil {
				return err
			}
			return importCert(c, cfg, name, cert, key, chain)
		},
		Complete: configFileArg},
	{Name: "import-ca", Desc: "Import CA certificates that client certificates and, on delivery, servers' certificates are verified against.", Access: shell.AccessOperator,
		Usage: []string{"NAME FILE   (PEM in DATA/configuration)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 2 {
				return shell.ErrUsage
			}
			return importCA(c, cfg, args[0], args[1])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := askNewCertName(c, cfg)
			if err != nil || name == "" {
				return err
			}
			file, err := shell.AskRequired(c, "Enter the name of the CA certificate file (PEM) in the configuration directory.", "", nil)
			if err != nil {
				return err
			}
			return importCA(c, cfg, name, file)
		}},
	{Name: "delete", Desc: "Delete a certificate or a client CA.", Access: shell.AccessOperator,
		Usage: []string{"NAME   (refused while a listener uses the certificate)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 1 {
				return shell.ErrUsage
			}
			return deleteCert(cfg, args[0])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := shell.Ask(c, "Enter the name of the certificate or CA to delete.", "", nil)
			if err != nil || name == "" {
				return err
			}
			return deleteCert(cfg, name)
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) != 1 {
				return nil
			}
			var out []string
			for _, ct := range cfg.Certificates {
				out = append(out, ct.Name)
			}
			for _, ca := range cfg.ClientCAs {
				out = append(out, ca.Name)
			}
			return out
		}},
	shell.PrintOp("Display the certificates and client CAs.", func(c *shell.Ctx, cfg *store.Config) string { return certsText(cfg) }),
}

// checkNewCertName refuses a bad name or one already used by a
// certificate or a CA.
func checkNewCertName(cfg *store.Config, name string) error {
	if err := store.CheckCertificateName(name); err != nil {
		return shell.Errorf("%v", err)
	}
	if cfg.Cert(name) != nil || cfg.CA(name) != nil {
		return shell.Errorf("A certificate or CA named %s already exists; delete it first.", name)
	}
	return nil
}

func askNewCertName(c *shell.Ctx, cfg *store.Config) (string, error) {
	return shell.Ask(c, "Enter a name for the certificate.", "", func(s string) (string, error) {
		if s == "" {
			return s, nil
		}
		return s, checkNewCertName(cfg, s)
	})
}

func generateCert(c *shell.Ctx, cfg *store.Config, name, cn, keyType string) error {
	if err := checkNewCertName(cfg, name); err != nil {
		return err
	}
	if cn = strings.TrimSpace(cn); cn == "" || len(cn) > 64 {
		return shell.Errorf("The common name has 1 to 64 characters.")
	}
	now := time.Now
	if c.S.Now != nil {
		now = c.S.Now
	}
	ct, err := store.GenerateCertificate(name, cn, keyType, now())
	if err != nil {
		return shell.Errorf("Cannot generate the certificate: %v.", err)
	}
	cfg.Certificates = append(cfg.Certificates, ct)
	c.Printf("Certificate %s generated (self-signed, CN %s).\n", name, cn)
	return nil
}

// importCert reads the pair through the confdir rule, and stores it
// re-encoded: only the certificates and the key, nothing else the files
// held.
func importCert(c *shell.Ctx, cfg *store.Config, name, certFile, keyFile, chainFile string) error {
	if err := checkNewCertName(cfg, name); err != nil {
		return err
	}
	pair, err := c.LoadKeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	var chain []*x509.Certificate
	if chainFile != "" {
		b, err := c.ReadConfigFile(chainFile)
		if err != nil {
			return err
		}
		for rest := b; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			x, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return shell.Errorf("%s: not a valid certificate: %v.", chainFile, err)
			}
			chain = append(chain, x)
		}
		if len(chain) == 0 {
			return shell.Errorf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----).", chainFile)
		}
	}
	ct, err := store.CertificateFromPair(name, pair, chain...)
	if err != nil {
		return shell.Errorf("Cannot use %s and %s: %v.", certFile, keyFile, err)
	}
	cfg.Certificates = append(cfg.Certificates, ct)
	c.Printf("Certificate %s imported.\n", name)
	return nil
}

func importCA(c *shell.Ctx, cfg *store.Config, name, file string) error {
	if err := checkNewCertName(cfg, name); err != nil {
		return err
	}
	b, err := c.ReadConfigFile(file)
	if err != nil {
		return err
	}
	cas, err := store.ParseCAs(b)
	if err != nil {
		return shell.Errorf("%s: %v.", file, err)
	}
	var text strings.Builder
	for _, ca := range cas {
		text.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	}
	cfg.ClientCAs = append(cfg.ClientCAs, store.ClientCA{Name: name, PEM: text.String()})
	c.Printf("Client CA %s imported (%d certificates).\n", name, len(cas))
	return nil
}

func deleteCert(cfg *store.Config, name string) error {
	if ct := cfg.Cert(name); ct != nil {
		var users []string
		for _, l := range cfg.Listeners {
			if strings.EqualFold(l.CertificateName(), ct.Name) {
				users = append(users, l.Name)
			}
		}
		if len(users) > 0 {
			return shell.Errorf("Certificate %s is used by listener %s; give the listener another certificate first (listenerconfig edit L setup --certificate NAME).", ct.Name, strings.Join(users, ", "))
		}
		if strings.EqualFold(cfg.DestSetup.Certificate, ct.Name) {
			return shell.Errorf("Certificate %s is the outbound client certificate; choose another first (destconfig setup --certificate NAME|none).", ct.Name)
		}
		cfg.Certificates = slices.DeleteFunc(cfg.Certificates, func(x store.Certificate) bool { return x.Name == ct.Name })
		return nil
	}
	if ca := cfg.CA(name); ca != nil {
		cfg.ClientCAs = slices.DeleteFunc(cfg.ClientCAs, func(x store.ClientCA) bool { return x.Name == ca.Name })
		return nil
	}
	return shell.Errorf("There is no certificate or CA named %s (certconfig print lists them).", name)
}

// certsText lists the certificates (never their keys) and the CAs.
func certsText(cfg *store.Config) string {
	var b strings.Builder
	if len(cfg.Certificates) == 0 {
		b.WriteString("There are no certificates.\n")
	} else {
		b.WriteString("Certificates:\n")
	}
	for i := range cfg.Certificates {
		ct := &cfg.Certificates[i]
		var users []string
		for _, l := range cfg.Listeners {
			if strings.EqualFold(l.CertificateName(), ct.Name) {
				users = append(users, l.Name)
			}
		}
		if strings.EqualFold(cfg.DestSetup.Certificate, ct.Name) {
			users = append(users, "destconfig setup")
		}
		used := "not used"
		if len(users) > 0 {
			used = "used by " + strings.Join(users, ", ")
		}
		leaf, err := ct.Leaf()
		if err != nil {
			fmt.Fprintf(&b, "%d. %s: unreadable certificate (%v), %s\n", i+1, ct.Name, err, used)
			continue
		}
		fmt.Fprintf(&b, "%d. %s: CN %s, issuer %s, %s key, expires %s, %s\n", i+1, ct.Name, leaf.Subject.CommonName,
			leaf.Issuer.CommonName, keyKind(leaf), leaf.NotAfter.UTC().Format("2006-01-02"), used)
	}
	if len(cfg.ClientCAs) > 0 {
		b.WriteString("Client CAs:\n")
	}
	for i, ca := range cfg.ClientCAs {
		var cns []string
		if cas, err := store.ParseCAs([]byte(ca.PEM)); err == nil {
			for _, x := range cas {
				cns = append(cns, x.Subject.CommonName)
			}
		}
		fmt.Fprintf(&b, "%d. %s: %s\n", i+1, ca.Name, strings.Join(cns, "; "))
	}
	return b.String()
}

func keyKind(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	}
	return c.PublicKeyAlgorithm.String()
}
