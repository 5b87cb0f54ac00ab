package listenercmd

import (
	"strings"

	"seg/shell"
	"seg/store"
)

// EDIT → CERTIFICATE (AsyncOS's place for it): the certconfig
// certificate the listener presents for STARTTLS. The batch form is
// "listenerconfig edit NAME certificate CERT"; "setup --certificate
// CERT" does the same.

// askCertificate offers certconfig's certificates, the listener's one
// as the default.
func askCertificate(c *shell.Ctx, l *store.Listener) error {
	cfg := c.Config()
	items := certNames(cfg)
	def := 1
	for i, n := range items {
		if strings.EqualFold(n, l.CertificateName()) {
			def = i + 1
		}
	}
	i, err := shell.Choose(c, "Choose the certificate this listener presents for STARTTLS (certconfig adds certificates):", items, def)
	if err != nil {
		return err
	}
	return setCertificate(c, l, items[i])
}

// setCertificate stores name, a certconfig name.
func setCertificate(c *shell.Ctx, l *store.Listener, name string) error {
	n, err := canonCertificate(c.Config(), name)
	if err != nil {
		return err
	}
	l.Certificate = n
	return nil
}

func batchCertificate(c *shell.Ctx, l *store.Listener, args []string) error {
	if len(args) != 1 {
		return shell.ErrUsage
	}
	return setCertificate(c, l, args[0])
}

func certNames(cfg *store.Config) []string {
	var out []string
	for _, ct := range cfg.Certificates {
		out = append(out, ct.Name)
	}
	return out
}

func completeCertificate(c *shell.Ctx, l *store.Listener, args []string) []string {
	if len(args) != 1 {
		return nil
	}
	return certNames(c.Config())
}
