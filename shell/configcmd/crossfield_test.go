package configcmd

import (
	"strings"
	"testing"

	"seg/store"
)

// What the shell refuses because of two parameters together, a tree
// loaded whole (loadconfig, a restored backup) may not bring in either:
// store.Validate, which every commit runs, refuses the same tree.
func TestCrossFieldRulesAreTheStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		line  string                // refused by the shell
		shell string                // its message
		edit  func(c *store.Config) // the same change, made directly
		store string                // store.Validate's message
	}{
		{
			name:  "a profile's first retry after its longest wait",
			line:  "bounceconfig new p2 initial_retry=7200",
			shell: "p2: initial_retry (7200 seconds) must not exceed max_retry_timeout (3600 seconds).",
			edit: func(c *store.Config) {
				c.Bounce = append(c.Bounce, store.BounceProfile{Name: "p2", Params: store.Params{"initial_retry": "7200"}})
			},
			store: `bounce profile "p2": initial_retry (7200 seconds) must not exceed max_retry_timeout (3600 seconds)`,
		},
		{
			name:  "Default's longest wait cut under another profile's first retry",
			line:  "bounceconfig edit Default max_retry_timeout=60",
			shell: "p1: initial_retry (120 seconds) must not exceed max_retry_timeout (60 seconds).",
			edit: func(c *store.Config) {
				c.BounceProfile("Default").Params["max_retry_timeout"] = "60"
			},
			store: `bounce profile "p1": initial_retry (120 seconds) must not exceed max_retry_timeout (60 seconds)`,
		},
		{
			name:  "the Default profile itself",
			line:  "bounceconfig edit Default initial_retry=7200",
			shell: "Default: initial_retry (7200 seconds) must not exceed max_retry_timeout (3600 seconds).",
			edit: func(c *store.Config) {
				c.BounceProfile("Default").Params["initial_retry"] = "7200"
			},
			store: `bounce profile "Default": initial_retry (7200 seconds) must not exceed max_retry_timeout (3600 seconds)`,
		},
		{
			name:  "a recipient limit with no interval",
			line:  "destconfig new x.org --recipient_limit=10",
			shell: "recipient_limit needs recipient_minutes",
			edit: func(c *store.Config) {
				c.Destinations = append(c.Destinations, store.Destination{Domain: "x.org", Params: store.Params{"recipient_limit": "10"}})
			},
			store: `destconfig "x.org": recipient_limit needs recipient_minutes (1-60)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBatch(t)
			b.ok("bounceconfig new p1 --initial_retry=2m")
			b.commit()
			base := b.cfg().Clone()
			if err := base.Validate(); err != nil {
				t.Fatalf("the starting tree: %v", err)
			}
			b.fail(tc.line, tc.shell)

			direct := base.Clone()
			tc.edit(direct)
			err := direct.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.store) {
				t.Fatalf("store.Validate: %v, want %q", err, tc.store)
			}
		})
	}
}
