package store

import (
	"errors"
	"reflect"
	"testing"
)

// accessConfig is the default tree with one account of each role.
func accessConfig() *Config {
	c := Default("seg.test", "$2a$10$admin")
	for _, r := range []string{RoleOperator, RoleReadOnly, RoleGuest} {
		c.Users = append(c.Users, User{Name: r + "1", Role: r, PasswordHash: "$2a$10$" + r})
	}
	return c
}

func TestCheckAccessTable(t *testing.T) {
	edit := map[string]func(c *Config){
		"hostname":         func(c *Config) { c.System.Hostname = "other.test" },
		"sshconfig":        func(c *Config) { c.SSH.Port = 2200 },
		"new user":         func(c *Config) { c.Users = append(c.Users, User{Name: "eve", Role: RoleAdmin}) },
		"promote self":     func(c *Config) { c.User("operator1").Role = RoleAdmin },
		"own password":     func(c *Config) { c.User("operator1").PasswordHash = "$2a$10$new" },
		"other's password": func(c *Config) { c.User("readonly1").PasswordHash = "$2a$10$new" },
		"delete user":      func(c *Config) { c.Users = c.Users[:len(c.Users)-1] },
		"own smtp auth":    func(c *Config) { c.User("operator1").SMTPAuth = true },
		"adminaccess":      func(c *Config) { c.AdminAccess.CLITimeout = 10 },
		// passwd as a read-only operator or a guest.
		"readonly password": func(c *Config) { c.User("readonly1").PasswordHash = "$2a$10$new" },
		"guest password":    func(c *Config) { c.User("guest1").PasswordHash = "$2a$10$new" },
		"guest password and hostname": func(c *Config) {
			c.User("guest1").PasswordHash = "$2a$10$new"
			c.System.Hostname = "other.test"
		},
	}
	// The committing account is "<role>1" (admin for admin); the cell
	// lists what is refused ("-": everything, nil: nothing).
	for _, tc := range []struct {
		role, change string
		refused      []string
	}{
		{RoleAdmin, "hostname", nil},
		{RoleAdmin, "sshconfig", nil},
		{RoleAdmin, "new user", nil},
		{RoleAdmin, "delete user", nil},
		{RoleOperator, "hostname", nil},
		{RoleOperator, "own password", nil},
		{RoleOperator, "sshconfig", []string{"ssh"}},
		{RoleOperator, "new user", []string{"user eve"}},
		{RoleOperator, "promote self", []string{"user operator1"}},
		{RoleOperator, "other's password", []string{"user readonly1"}},
		{RoleOperator, "delete user", []string{"user guest1"}},
		{RoleOperator, "own smtp auth", []string{"user operator1"}},
		{RoleAdmin, "own smtp auth", nil},
		{RoleAdmin, "adminaccess", nil},
		{RoleOperator, "adminaccess", []string{"adminaccess"}},
		{RoleReadOnly, "readonly password", nil},
		{RoleGuest, "guest password", nil},
		{RoleGuest, "guest password and hostname", []string{"-"}},
		{RoleReadOnly, "guest password", []string{"-"}},
		{RoleReadOnly, "hostname", []string{"-"}},
		{RoleGuest, "hostname", []string{"-"}},
	} {
		from := accessConfig()
		to := from.Clone()
		edit[tc.change](to)
		user := tc.role + "1"
		if tc.role == RoleAdmin {
			user = "admin"
		}
		err := CheckAccess(user, tc.role, from, to)
		var ae *AccessError
		switch {
		case tc.refused == nil && err != nil:
			t.Errorf("%s %s: refused: %v", tc.role, tc.change, err)
		case tc.refused == nil:
		case !errors.As(err, &ae):
			t.Errorf("%s %s: err = %v, want an AccessError", tc.role, tc.change, err)
		case tc.refused[0] == "-" && len(ae.Objects) != 0:
			t.Errorf("%s %s: refused objects %v, want the whole commit refused", tc.role, tc.change, ae.Objects)
		case tc.refused[0] != "-" && !reflect.DeepEqual(ae.Objects, tc.refused):
			t.Errorf("%s %s: refused objects %v, want %v", tc.role, tc.change, ae.Objects, tc.refused)
		}
	}
}

func TestCheckAccessNoRole(t *testing.T) {
	from := accessConfig()
	to := from.Clone()
	to.System.Hostname = "other.test"
	for _, role := range []string{"", "root", "Admin"} {
		var ae *AccessError
		if err := CheckAccess("admin", role, from, to); !errors.As(err, &ae) || len(ae.Objects) != 0 {
			t.Errorf("role %q: err = %v, want the whole commit refused", role, err)
		}
	}
}

// A session keeps the role it logged in with; the store judges by the
// account as it is now.
func TestCheckAccessFollowsTheAccount(t *testing.T) {
	from := accessConfig()
	from.User("operator1").Role = RoleReadOnly // demoted since the login
	to := from.Clone()
	to.System.Hostname = "other.test"
	var ae *AccessError
	if err := CheckAccess("operator1", RoleOperator, from, to); !errors.As(err, &ae) || ae.Role != RoleReadOnly {
		t.Errorf("demoted operator: err = %v, want refused as readonly", err)
	}
	// A promotion does not widen a session either: the lesser role.
	if got := EffectiveRole(from, "readonly1", RoleGuest); got != RoleGuest {
		t.Errorf("EffectiveRole = %q, want guest", got)
	}
	if err := CheckAccess("mallory", RoleAdmin, from, to); !errors.As(err, &ae) || !ae.Gone {
		t.Errorf("deleted account: err = %v, want refused (gone)", err)
	}
}

// The attack of issue 8 at the store level: an operator commits an old
// revision (or a loaded file) that holds another user list.
func TestOperatorCannotRollBackUsers(t *testing.T) {
	cfg := accessConfig()
	cfg.User("operator1").Role = RoleAdmin // the operator was admin once
	s := NewMemory(cfg)
	demoted := cfg.Clone()
	demoted.User("operator1").Role = RoleOperator
	demoted.Users = demoted.Users[:len(demoted.Users)-1] // and guest1 deleted
	if _, err := s.Commit(CommitRequest{Base: 1, Config: demoted, User: "admin", Role: RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	_, err := Rollback(s, 1, "operator1", RoleOperator)
	var ae *AccessError
	if !errors.As(err, &ae) || !reflect.DeepEqual(ae.Objects, []string{"user operator1", "user guest1"}) {
		t.Fatalf("rollback by the operator: %v, want refused naming user operator1 and user guest1", err)
	}
	cur, _ := s.Current()
	if cur.Revision.Number != 2 || cur.Config.User("operator1").Role != RoleOperator || cur.Config.User("guest1") != nil {
		t.Fatalf("after the refused rollback: revision %d, users %+v", cur.Revision.Number, cur.Config.Users)
	}
	if _, err := Rollback(s, 1, "admin", RoleAdmin); err != nil {
		t.Fatalf("rollback by admin: %v", err)
	}
}

func TestAdminAccessValidation(t *testing.T) {
	for _, tc := range []struct {
		timeout int
		ok      bool
	}{{0, true}, {5, true}, {1440, true}, {4, false}, {1441, false}, {-1, false}} {
		c := accessConfig()
		c.AdminAccess.CLITimeout = tc.timeout
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("timeout %d: Validate = %v, want ok %v", tc.timeout, err, tc.ok)
		}
	}
	if got := (AdminAccess{}).CLITimeoutMinutes(); got != DefaultCLITimeout {
		t.Errorf("default timeout %d, want %d", got, DefaultCLITimeout)
	}
}
