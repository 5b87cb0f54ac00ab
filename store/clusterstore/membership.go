package clusterstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"seg/internal/confdir"
)

// Membership is what a machine must know to restart into its cluster,
// even while etcd is down: kept in MembershipFile in the node's
// directory (the data dir, beside config.db: not in configuration/,
// whose files operators may read and write with import and export).
// Its absence means standalone.
type Membership struct {
	Name      string   `json:"name"`      // the cluster's
	Endpoints []string `json:"endpoints"` // etcd's client URLs
	Machine   string   `json:"machine"`   // this machine's name (its hostname)
	Group     string   `json:"group"`     // as of the last applied revision
}

// MembershipFile is the membership's name in the node's directory.
const MembershipFile = "cluster.json"

// readMembership returns nil, nil when the file does not exist.
func readMembership(path string) (*Membership, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Membership
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if m.Name == "" || m.Machine == "" || len(m.Endpoints) == 0 {
		return nil, fmt.Errorf("%s: incomplete cluster membership (name, machine and endpoints are needed)", path)
	}
	return &m, nil
}

// writeMembership replaces the file atomically, mode 0600 (confdir's
// write: a temporary file fsynced, renamed, the directory fsynced): a
// crash leaves the old or the new membership, never half of one.
func writeMembership(path string, m Membership) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return confdir.Dir{Path: filepath.Dir(path)}.WriteFile(filepath.Base(path), append(b, '\n'))
}
