package store

import (
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
)

func (c *Config) validateUsers(p *problems) {
	seen := map[string]bool{}
	admins := 0
	for _, u := range c.Users {
		obj := fmt.Sprintf("user %q", u.Name)
		if !validUserName(u.Name) {
			p.add("%s: name must start with a letter and hold letters, digits, '_', '-' and '.'", obj)
		}
		if seen[u.Name] {
			p.add("%s: name is listed twice", obj)
		}
		seen[u.Name] = true
		if !validRole(u.Role) {
			p.add("%s: role %q must be one of admin, operator, readonly, guest", obj, u.Role)
		}
		if u.Role == RoleAdmin {
			admins++
		}
		if u.SMTPAuth && u.PasswordHash == "" {
			// SMTP AUTH PLAIN and LOGIN carry a password (RFC 4616).
			p.add("%s: the SMTP AUTH right needs a password", obj)
		}
		for i, k := range u.SSHKeys {
			if _, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil {
				p.add("%s: SSH key %d: not an authorized_keys line (%v)", obj, i+1, err)
			} else if len(rest) > 0 {
				p.add("%s: SSH key %d: one key per entry", obj, i+1)
			}
		}
	}
	if admins == 0 {
		p.add("users: at least one user must have the admin role")
	}
}

func validUserName(s string) bool {
	if s == "" || len(s) > 32 || !isLetterDigit(s[0]) || ('0' <= s[0] && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetterDigit(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.' {
			return false
		}
	}
	return true
}

func validRole(r string) bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// validateAccess checks the SSH and metrics endpoints (listeners are
// checked against them in validateListeners).
func (c *Config) validateAccess(p *problems) {
	sshIP := net.ParseIP(c.SSH.Address)
	if sshIP == nil {
		p.add("ssh: address %q is not an IP address", c.SSH.Address)
	}
	if c.SSH.Port < 1 || c.SSH.Port > 65535 {
		p.add("ssh: port %d must be from 1 to 65535", c.SSH.Port)
	}
	if c.Metrics.Address == "" {
		return
	}
	ip, port, err := validIPPort(c.Metrics.Address)
	if err != nil {
		p.add("metrics: address %q: %v", c.Metrics.Address, err)
		return
	}
	if sshIP != nil && c.SSH.Port == port {
		m := endpoint{ip: ip, port: port}
		if m.clashes(endpoint{ip: sshIP, port: c.SSH.Port}) {
			p.add("metrics: port %d is already used by SSH on %s", port, c.SSH.Address)
		}
	}
}
