package shell

import (
	"fmt"
	"net/url"
	"strings"

	"seg/store"
)

// clusterconfig (SPEC 14): create or join a cluster on a standalone
// machine; list, groups, membership and leave on a clustered one. Every
// change takes effect at once, as a new cluster revision (AsyncOS applies
// clusterconfig without commit); reading is for every role from
// read-only up, changing is the admin's.

// defaultGroup is the group a machine creates or joins a cluster in
// when none is named (AsyncOS's first group is Main).
const defaultGroup = "Main"

// checkClusterWord checks a cluster or group name: it names etcd keys
// (/seg/clusters/NAME/) and is typed in batch lines, so it is one word
// of letters, digits, '.', '-' and '_'.
func checkClusterWord(what string) func(string) (string, error) {
	return func(s string) (string, error) {
		s = strings.TrimSpace(s)
		if s == "" || len(s) > store.MaxNameLength {
			return "", Errorf("Invalid %s name %q: use 1 to %d letters, digits, '.', '-' or '_'.", what, s, store.MaxNameLength)
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				return "", Errorf("Invalid %s name %q: use 1 to %d letters, digits, '.', '-' or '_'.", what, s, store.MaxNameLength)
			}
		}
		return s, nil
	}
}

var (
	checkClusterName = checkClusterWord("cluster")
	checkGroupName   = checkClusterWord("group")
)

// parseEndpoints reads the etcd endpoints, separated by commas: each an
// http or https URL with a host and a port (the etcd client's form).
func parseEndpoints(s string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Port() == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, Errorf("Invalid etcd endpoint %q: enter a URL such as http://10.0.0.1:2379.", e)
		}
		out = append(out, strings.TrimSuffix(e, "/"))
	}
	if len(out) == 0 {
		return nil, Errorf("Enter at least one etcd endpoint, such as http://10.0.0.1:2379.")
	}
	return out, nil
}

// notDirty refuses to switch a session with uncommitted changes between
// standalone and clustered: its candidate derives from a revision of the
// store it is leaving.
func notDirty(c *Ctx, what string) error {
	if c.S.Dirty() {
		return Errorf("You have uncommitted changes. Commit them or clear them before you %s.", what)
	}
	return nil
}

// clusterErr is an error of a Cluster method as the menu prints it: a
// whole sentence already (shell/cluster.go), shown and the menu again.
func clusterErr(err error) error { return AsUser(err) }

// joinArgs reads [--etcd URL[,URL...]] [--group G] of create and join.
func joinArgs(o Opts) ([]string, string, error) {
	if err := o.Allow("etcd", "group"); err != nil {
		return nil, "", err
	}
	e, ok := o.Named["etcd"]
	if !ok {
		return nil, "", Errorf("Missing --etcd: name the etcd endpoints, such as --etcd http://10.0.0.1:2379.")
	}
	eps, err := parseEndpoints(e)
	if err != nil {
		return nil, "", err
	}
	group := defaultGroup
	if g, ok := o.Named["group"]; ok {
		if group, err = checkGroupName(g); err != nil {
			return nil, "", err
		}
	}
	return eps, group, nil
}

// askJoin asks for the endpoints and the group of create and join.
func askJoin(c *Ctx) ([]string, string, error) {
	var eps []string
	_, err := c.AskRequired("Enter the etcd endpoints of the cluster's configuration store, separated by commas (such as http://10.0.0.1:2379,http://10.0.0.2:2379).", "", func(s string) (string, error) {
		var err error
		eps, err = parseEndpoints(s)
		return s, err
	})
	if err != nil {
		return nil, "", err
	}
	group, err := c.Ask("Enter the group this machine is in.", defaultGroup, checkGroupName)
	return eps, group, err
}

func doCreate(c *Ctx, cl Cluster, name string, eps []string, group string) error {
	if err := notDirty(c, "create a cluster"); err != nil {
		return err
	}
	if err := cl.Create(name, eps, group); err != nil {
		return clusterErr(err)
	}
	c.S.Level = store.Level{}
	st := cl.State()
	c.Printf("Cluster %s created: this machine (%s) is its first member, in group %s.\n", name, st.Machine, group)
	return nil
}

func doJoin(c *Ctx, cl Cluster, eps []string, group string) error {
	if err := notDirty(c, "join a cluster"); err != nil {
		return err
	}
	if err := cl.Join(eps, group); err != nil {
		return clusterErr(err)
	}
	c.S.Level = store.Level{}
	st := cl.State()
	c.Printf("This machine (%s) has joined cluster %s, in group %s. It now runs the cluster's configuration, with its own machine-level settings.\n", st.Machine, st.Name, group)
	return nil
}

func doLeave(c *Ctx, cl Cluster, st ClusterState) error {
	if err := notDirty(c, "leave the cluster"); err != nil {
		return err
	}
	if err := cl.Leave(); err != nil {
		return clusterErr(err)
	}
	c.S.Level = store.Level{}
	c.Printf("This machine (%s) has left cluster %s. It is standalone and keeps the configuration it ran.\n", st.Machine, st.Name)
	return nil
}

func doRemoveMachine(c *Ctx, cl Cluster, st ClusterState, m string) error {
	if err := cl.RemoveMachine(m); err != nil {
		return clusterErr(err)
	}
	c.Printf("Machine %s removed from cluster %s. It becomes standalone and keeps the configuration it ran.\n", m, st.Name)
	if c.S.Level.Kind == store.LevelMachine && c.S.Level.Name == m {
		c.S.Level = store.Level{}
		c.Printf("Configuration mode: %s.\n", levelName(st, c.S.Level))
	}
	return nil
}

func doRemoveGroup(c *Ctx, cl Cluster, st ClusterState, g string) error {
	if err := cl.RemoveGroup(g); err != nil {
		return clusterErr(err)
	}
	c.Printf("Group %s removed.\n", g)
	if c.S.Level.Kind == store.LevelGroup && c.S.Level.Name == g {
		c.S.Level = store.Level{}
		c.Printf("Configuration mode: %s.\n", levelName(st, c.S.Level))
	}
	return nil
}

// memberOf checks that name is a machine of st (any case) and returns it
// as st names it; groupOf, a group.
func memberOf(st ClusterState, name string) (string, error) {
	return oneOf("machine", st.Machines, name)
}
func groupOf(st ClusterState, name string) (string, error) { return oneOf("group", st.Groups, name) }

// inCluster runs f with the state when the machine is clustered.
func inCluster(cl Cluster, f func(st ClusterState) error) error {
	st := cl.State()
	if st.Name == "" {
		return errStandalone
	}
	return f(st)
}

// standalone runs f when the machine is not clustered yet.
func standalone(cl Cluster, f func() error) error {
	if st := cl.State(); st.Name != "" {
		return Errorf("This machine is already in cluster %s. Leave it first ('clusterconfig leave').", st.Name)
	}
	return f()
}

func clusterconfigTable() *Table[Cluster] {
	isStandalone := func(c *Ctx, cl Cluster) bool { return cl.State().Name == "" }
	isClustered := func(c *Ctx, cl Cluster) bool { return cl.State().Name != "" }
	machines := func(c *Ctx, cl Cluster, args []string) []string {
		if len(args) == 1 {
			return cl.State().Machines
		}
		return nil
	}
	groups := func(c *Ctx, cl Cluster, args []string) []string {
		if len(args) == 1 {
			return cl.State().Groups
		}
		return nil
	}
	joinOpts := func(c *Ctx, cl Cluster, args []string) []string {
		return []string{"--etcd", "--group"}
	}
	return &Table[Cluster]{
		Prefix: "clusterconfig",
		Denied: "change the cluster",
		Ops: []Operation[Cluster]{
			{
				Name: "create", Desc: "Create a new cluster with this machine as its first member.",
				Usage: []string{"NAME --etcd URL[,URL...] [--group GROUP]"}, Access: AccessAdmin,
				Shown: isStandalone, Complete: joinOpts,
				Batch: func(c *Ctx, cl Cluster, args []string) error {
					o, err := UserOpts(args)
					if err != nil {
						return err
					}
					if len(o.Pos) != 1 {
						return ErrUsage
					}
					name, err := checkClusterName(o.Pos[0])
					if err != nil {
						return err
					}
					eps, group, err := joinArgs(o)
					if err != nil {
						return err
					}
					return standalone(cl, func() error { return doCreate(c, cl, name, eps, group) })
				},
				Menu: func(c *Ctx, cl Cluster) error {
					return standalone(cl, func() error {
						if err := notDirty(c, "create a cluster"); err != nil {
							return err
						}
						name, err := c.AskRequired("Enter the name of the new cluster.", "", checkClusterName)
						if err != nil {
							return err
						}
						eps, group, err := askJoin(c)
						if err != nil {
							return err
						}
						return doCreate(c, cl, name, eps, group)
					})
				},
			},
			{
				Name: "join", Desc: "Join an existing cluster.",
				Usage: []string{"--etcd URL[,URL...] [--group GROUP]"}, Access: AccessAdmin,
				Shown: isStandalone, Complete: joinOpts,
				Batch: func(c *Ctx, cl Cluster, args []string) error {
					o, err := UserOpts(args)
					if err != nil {
						return err
					}
					if len(o.Pos) != 0 {
						return ErrUsage
					}
					eps, group, err := joinArgs(o)
					if err != nil {
						return err
					}
					return standalone(cl, func() error { return doJoin(c, cl, eps, group) })
				},
				Menu: func(c *Ctx, cl Cluster) error {
					return standalone(cl, func() error {
						if err := notDirty(c, "join a cluster"); err != nil {
							return err
						}
						eps, group, err := askJoin(c)
						if err != nil {
							return err
						}
						return doJoin(c, cl, eps, group)
					})
				},
			},
			{
				Name: "list", Desc: "List the machines in the cluster.", Shown: isClustered,
				Batch: func(c *Ctx, cl Cluster, args []string) error {
					if len(args) != 0 {
						return ErrUsage
					}
					return inCluster(cl, func(st ClusterState) error { return printMachines(c, cl, st) })
				},
				Menu: func(c *Ctx, cl Cluster) error {
					c.Println()
					return inCluster(cl, func(st ClusterState) error { return printMachines(c, cl, st) })
				},
			},
			{
				Name: "addgroup", Desc: "Add a cluster group.", Usage: []string{"GROUP"}, Access: AccessAdmin, Shown: isClustered,
				Batch: OneName(func(c *Ctx, cl Cluster, name string) error {
					return inCluster(cl, func(st ClusterState) error { return addGroup(c, cl, st, name) })
				}),
				Menu: func(c *Ctx, cl Cluster) error {
					return inCluster(cl, func(st ClusterState) error {
						g, err := c.AskRequired("Enter the name of the new group.", "", checkGroupName)
						if err != nil {
							return err
						}
						return addGroup(c, cl, st, g)
					})
				},
			},
			{
				Name: "removegroup", Desc: "Remove a cluster group (it must have no machines).", Usage: []string{"GROUP"},
				Access: AccessAdmin, Shown: isClustered, Complete: groups,
				Batch: OneName(func(c *Ctx, cl Cluster, name string) error {
					return inCluster(cl, func(st ClusterState) error {
						g, err := groupOf(st, name)
						if err != nil {
							return err
						}
						return doRemoveGroup(c, cl, st, g)
					})
				}),
				Menu: func(c *Ctx, cl Cluster) error {
					return inCluster(cl, func(st ClusterState) error {
						i, err := Pick(c, "Choose the group to remove.", st.Groups)
						if err != nil || i < 0 {
							return err
						}
						return doRemoveGroup(c, cl, st, st.Groups[i])
					})
				},
			},
			{
				Name: "setgroup", Desc: "Set the group a machine is a member of.", Usage: []string{"MACHINE GROUP"},
				Access: AccessAdmin, Shown: isClustered,
				Complete: func(c *Ctx, cl Cluster, args []string) []string {
					switch len(args) {
					case 1:
						return cl.State().Machines
					case 2:
						return cl.State().Groups
					}
					return nil
				},
				Batch: func(c *Ctx, cl Cluster, args []string) error {
					words, err := UserWords(args)
					if err != nil {
						return err
					}
					if len(words) != 2 {
						return ErrUsage
					}
					return inCluster(cl, func(st ClusterState) error {
						m, err := memberOf(st, words[0])
						if err != nil {
							return err
						}
						g, err := groupOf(st, words[1])
						if err != nil {
							return err
						}
						return setGroup(c, cl, m, g)
					})
				},
				Menu: func(c *Ctx, cl Cluster) error {
					return inCluster(cl, func(st ClusterState) error {
						i, err := Pick(c, "Choose the machine to move to another group.", st.Machines)
						if err != nil || i < 0 {
							return err
						}
						j, err := Choose(c, "Choose the group for machine "+st.Machines[i]+".", st.Groups, 0)
						if err != nil {
							return err
						}
						return setGroup(c, cl, st.Machines[i], st.Groups[j])
					})
				},
			},
			{
				Name: "removemachine", Desc: "Remove a machine from the cluster.", Usage: []string{"MACHINE"},
				Access: AccessAdmin, Shown: isClustered, Complete: machines,
				Batch: OneName(func(c *Ctx, cl Cluster, name string) error {
					return inCluster(cl, func(st ClusterState) error {
						m, err := removable(st, name)
						if err != nil {
							return err
						}
						return doRemoveMachine(c, cl, st, m)
					})
				}),
				Menu: func(c *Ctx, cl Cluster) error {
					return inCluster(cl, func(st ClusterState) error {
						i, err := Pick(c, "Choose the machine to remove from the cluster.", st.Machines)
						if err != nil || i < 0 {
							return err
						}
						m, err := removable(st, st.Machines[i])
						if err != nil {
							return err
						}
						ok, err := c.AskYN(fmt.Sprintf("Are you sure you want to remove machine %s from cluster %s?", m, st.Name), false)
						if err != nil || !ok {
							return err
						}
						return doRemoveMachine(c, cl, st, m)
					})
				},
			},
			{
				Name: "leave", Desc: "Make this machine leave the cluster (it keeps its configuration).",
				Access: AccessAdmin, Shown: isClustered,
				Batch: func(c *Ctx, cl Cluster, args []string) error {
					if len(args) != 0 {
						return ErrUsage
					}
					return inCluster(cl, func(st ClusterState) error { return doLeave(c, cl, st) })
				},
				Menu: func(c *Ctx, cl Cluster) error {
					return inCluster(cl, func(st ClusterState) error {
						if err := notDirty(c, "leave the cluster"); err != nil {
							return err
						}
						ok, err := c.AskYN(fmt.Sprintf("Are you sure you want this machine (%s) to leave cluster %s?", st.Machine, st.Name), false)
						if err != nil || !ok {
							return err
						}
						return doLeave(c, cl, st)
					})
				},
			},
		},
	}
}

// removable checks a machine removemachine may remove: a member, not
// this machine (which leaves instead, so that it knows it is standalone).
func removable(st ClusterState, name string) (string, error) {
	m, err := memberOf(st, name)
	if err != nil {
		return "", err
	}
	if m == st.Machine {
		return "", Errorf("Machine %s is this machine: use 'clusterconfig leave' to take it out of the cluster.", m)
	}
	return m, nil
}

func addGroup(c *Ctx, cl Cluster, st ClusterState, name string) error {
	g, err := checkGroupName(name)
	if err != nil {
		return err
	}
	if old := findName(st.Groups, g); old != "" {
		return Errorf("Group %s already exists.", old)
	}
	if err := cl.AddGroup(g); err != nil {
		return clusterErr(err)
	}
	c.Printf("Group %s added.\n", g)
	return nil
}

func setGroup(c *Ctx, cl Cluster, m, g string) error {
	if err := cl.SetGroup(m, g); err != nil {
		return clusterErr(err)
	}
	c.Printf("Machine %s is now in group %s.\n", m, g)
	return nil
}

// showCluster is the state above clusterconfig's menu.
func showCluster(c *Ctx, cl Cluster) {
	st := cl.State()
	if st.Name == "" {
		c.Printf("\nThis machine is not in a cluster.\n")
		return
	}
	c.Printf("\nCluster %s\n", st.Name)
	c.Printf("This machine: %s (group %s)\n", st.Machine, groupOfMachine(st))
	c.Printf("Machines: %s\n", strings.Join(st.Machines, ", "))
	c.Printf("Groups: %s\n", strings.Join(st.Groups, ", "))
	c.Printf("Configuration store: %s\n", strings.Join(st.Endpoints, ", "))
}

func groupOfMachine(st ClusterState) string {
	if st.Group == "" {
		return "unknown"
	}
	return st.Group
}

// printMachines is clusterconfig list: a line per machine, then this
// machine's applied revision and whether etcd answers.
func printMachines(c *Ctx, cl Cluster, st ClusterState) error {
	ms, err := cl.Machines()
	if err != nil {
		// The error says why (the store's own sentence); State's
		// Reachable may not know yet.
		c.Printf("This machine (%s) has applied revision %d.\n", st.Machine, st.Applied)
		return clusterErr(err)
	}
	rows := make([][]string, len(ms))
	var problems []string
	for i, m := range ms {
		status := "Down"
		if m.Up {
			status = "Up"
		}
		rows[i] = []string{m.Name, m.Group, m.Address, status, fmt.Sprint(m.Applied)}
		if m.Error != "" {
			problems = append(problems, fmt.Sprintf("Machine %s cannot apply a newer revision: %s", m.Name, m.Error))
		}
	}
	c.Printf("Cluster %s\n", st.Name)
	c.Printf("%s", FormatTable([]string{"Machine", "Group", "Address", "Status", "Applied Revision"}, rows))
	for _, p := range problems {
		c.Printf("%s\n", p)
	}
	c.Printf("%s", appliedLine(st))
	return nil
}

// appliedLine says which revision this machine runs and whether the
// configuration store answers.
func appliedLine(st ClusterState) string {
	reach := "The cluster configuration store is reachable."
	if !st.Reachable {
		reach = "The cluster configuration store is unreachable: mail flows on the applied revision; commits fail until it answers again."
	}
	return fmt.Sprintf("This machine (%s) has applied revision %d. %s\n", st.Machine, st.Applied, reach)
}

// clusterconfigCommand is the command; offline (no appliance) it says
// so before anything.
func clusterconfigCommand() *Command {
	spec := CommandSpec[Cluster]{
		Name:   "clusterconfig",
		Help:   "Create, join, list and change the cluster this machine is in.",
		Access: AccessReadOnly,
		Table:  clusterconfigTable(),
		Target: func(c *Ctx) Cluster { return c.S.Cluster },
		Show:   showCluster,
		Notes: []string{
			"  URL: an etcd endpoint, http://HOST:PORT or https://HOST:PORT; several separated by commas.",
			"  GROUP defaults to Main. Changes take effect at once, on every machine: no commit is needed.",
		},
	}
	cmd := spec.Command()
	// Tab offers the operations of the machine's state (CREATE and JOIN
	// standalone, the others clustered): the table's completion, not
	// every name.
	cmd.Sub = nil
	run, complete := cmd.Run, cmd.Complete
	cmd.Run = func(c *Ctx, args []string) error {
		if c.S.Cluster == nil {
			return errNoCluster
		}
		return run(c, args)
	}
	cmd.Complete = func(c *Ctx, args []string) []string {
		if c.S.Cluster == nil {
			return nil
		}
		return complete(c, args)
	}
	return cmd
}
