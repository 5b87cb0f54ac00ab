package shell

import (
	"errors"
	"strings"

	"seg/store"
)

// The levels of a clustered configuration as the shell names them (SPEC
// 14): clustermode and clustershow take "cluster", "group G" or
// "machine M" (two words, as AsyncOS's modes read); clusterset's --from
// and --to take one word, "cluster", "group:G" or "machine:M".

// errStandalone is what every cluster command but clusterconfig says on
// a machine that is not in a cluster.
var errStandalone = Errorf("This machine is not in a cluster. Use 'clusterconfig' to create or join one.")

// errNoCluster is what the cluster commands say where the appliance is
// not running (an offline shell has no node to drive).
var errNoCluster = errors.New("The cluster commands need the running appliance.")

// clustered returns the session's cluster and its state, or the error
// the command answers: offline, or standalone.
func clustered(c *Ctx) (Cluster, ClusterState, error) {
	cl := c.S.Cluster
	if cl == nil {
		return nil, ClusterState{}, errNoCluster
	}
	st := cl.State()
	if st.Name == "" {
		return nil, st, errStandalone
	}
	return cl, st, nil
}

// levelName is how a prompt and the messages name level l of cluster
// name: "Cluster NAME", "Group G", "Machine M".
func levelName(st ClusterState, l store.Level) string {
	if l.Kind == store.LevelDefault || l.Kind == store.LevelCluster {
		return "Cluster " + st.Name
	}
	return l.String()
}

// clusterPrompt is the prompt of a session on a clustered machine:
// "(Cluster NAME)> ", "(Group G)> ", "(Machine M)> "; "" standalone.
func (s *Session) clusterPrompt() string {
	if s.Cluster == nil {
		return ""
	}
	st := s.Cluster.State()
	if st.Name == "" {
		return ""
	}
	return "(" + levelName(st, s.Level) + ")> "
}

// findName returns the name of names equal to s, ignoring case (machine
// names are host names; groups are matched the same way so that "main"
// finds Main), or "".
func findName(names []string, s string) string {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return n
		}
	}
	return ""
}

// oneOf returns the name of names equal to name (any case), or an error
// that lists them; what is "group" or "machine".
func oneOf(what string, names []string, name string) (string, error) {
	if name == "" {
		return "", Errorf("Enter a %s name (%ss: %s).", what, what, strings.Join(names, ", "))
	}
	if n := findName(names, name); n != "" {
		return n, nil
	}
	return "", Errorf("Unknown %s %q (%ss: %s).", what, name, what, strings.Join(names, ", "))
}

// levelOf checks kind and name ("cluster", "group", "machine" and the
// group or machine name) against st and returns the level.
func levelOf(st ClusterState, kind, name string) (store.Level, error) {
	switch strings.ToLower(kind) {
	case "cluster":
		if name != "" {
			return store.Level{}, Errorf("The cluster level takes no name (the cluster is %s).", st.Name)
		}
		return store.Level{Kind: store.LevelCluster}, nil
	case "group":
		g, err := oneOf("group", st.Groups, name)
		return store.Level{Kind: store.LevelGroup, Name: g}, err
	case "machine":
		m, err := oneOf("machine", st.Machines, name)
		return store.Level{Kind: store.LevelMachine, Name: m}, err
	}
	return store.Level{}, Errorf("Unknown level %q: enter cluster, group NAME or machine NAME.", kind)
}

// levelArgs reads the arguments of clustermode and clustershow:
// "cluster", "group G" or "machine M"; none is def.
func levelArgs(st ClusterState, args []string, def store.Level, usage string) (store.Level, error) {
	words, err := UserWords(args)
	if err != nil {
		return def, err
	}
	switch len(words) {
	case 0:
		return def, nil
	case 1:
		return levelOf(st, words[0], "")
	case 2:
		return levelOf(st, words[0], words[1])
	}
	return def, Errorf("Usage: %s", usage)
}

// levelWord reads clusterset's one-word form: "cluster", "group:G",
// "machine:M".
func levelWord(st ClusterState, s string) (store.Level, error) {
	kind, name, _ := strings.Cut(s, ":")
	if k := strings.ToLower(kind); k != "cluster" && k != "group" && k != "machine" {
		return store.Level{}, Errorf("Unknown level %q: enter cluster, group:NAME or machine:NAME.", s)
	}
	return levelOf(st, kind, name)
}

// levelChoices are the levels of st in menu order (the cluster, each
// group, each machine) with their names, for clustermode's and
// clusterset's questions.
func levelChoices(st ClusterState) ([]store.Level, []string) {
	levels := []store.Level{{Kind: store.LevelCluster}}
	for _, g := range st.Groups {
		levels = append(levels, store.Level{Kind: store.LevelGroup, Name: g})
	}
	for _, m := range st.Machines {
		levels = append(levels, store.Level{Kind: store.LevelMachine, Name: m})
	}
	items := make([]string, len(levels))
	for i, l := range levels {
		items[i] = levelName(st, l)
	}
	return levels, items
}

// sameLevel compares levels, LevelDefault being the cluster.
func sameLevel(a, b store.Level) bool {
	norm := func(l store.Level) store.Level {
		if l.Kind == store.LevelDefault {
			return store.Level{Kind: store.LevelCluster}
		}
		return l
	}
	return norm(a) == norm(b)
}

// askLevel asks for one of st's levels, def (the session's) first.
func askLevel(c *Ctx, question string, st ClusterState, def store.Level) (store.Level, error) {
	levels, items := levelChoices(st)
	d := 1
	for i, l := range levels {
		if sameLevel(l, def) {
			d = i + 1
		}
	}
	i, err := Choose(c, question, items, d)
	if err != nil {
		return store.Level{}, err
	}
	return levels[i], nil
}

// completeLevel completes "cluster", "group G" and "machine M" from st.
func completeLevel(st ClusterState, args []string) []string {
	switch len(args) {
	case 0, 1:
		return []string{"cluster", "group", "machine"}
	case 2:
		switch strings.ToLower(args[0]) {
		case "group":
			return st.Groups
		case "machine":
			return st.Machines
		}
	}
	return nil
}

// completeLevelWord completes clusterset's "cluster", "group:G",
// "machine:M".
func completeLevelWord(st ClusterState) []string {
	out := []string{"cluster"}
	for _, g := range st.Groups {
		out = append(out, "group:"+g)
	}
	for _, m := range st.Machines {
		out = append(out, "machine:"+m)
	}
	return out
}

// clusterState is the state completion reads: empty offline or
// standalone.
func clusterState(c *Ctx) ClusterState {
	if c.S.Cluster == nil {
		return ClusterState{}
	}
	return c.S.Cluster.State()
}

func clustermodeCommand() *Command {
	return &Command{
		Name: "clustermode",
		Help: "Choose the level of the cluster this session edits: the cluster, a group or a machine.",
		Usage: []string{
			"clustermode cluster",
			"clustermode group GROUP",
			"clustermode machine MACHINE",
		},
		// Reading and editing at a level is no more than the role may do
		// at the cluster level: commit checks the role there too.
		Access: AccessReadOnly,
		Sub:    []string{"cluster", "group", "machine"},
		Complete: func(c *Ctx, args []string) []string {
			return completeLevel(clusterState(c), args)
		},
		Run: func(c *Ctx, args []string) error {
			_, st, err := clustered(c)
			if err != nil {
				return err
			}
			l, err := levelArgs(st, args, c.S.Level, "clustermode cluster | group GROUP | machine MACHINE")
			if err != nil {
				return err
			}
			if c.S.Dirty() {
				return Errorf("You have uncommitted changes at the %s level. Commit them or clear them before changing the configuration mode.", levelName(st, c.S.Level))
			}
			if len(args) == 0 {
				if !c.S.Interactive {
					return Errorf("Usage: clustermode cluster | group GROUP | machine MACHINE")
				}
				if l, err = askLevel(c, "Choose the configuration mode:", st, c.S.Level); err != nil {
					return err
				}
			}
			c.S.Level = l
			c.Printf("Configuration mode: %s.\n", levelName(st, l))
			return nil
		},
	}
}

// ClusterCommands returns the cluster commands (SPEC 14): clusterconfig,
// clustermode, clustershow, clusterset. tophosts --cluster and status
// --cluster are in MailCommands.
func ClusterCommands() []*Command {
	return []*Command{clusterconfigCommand(), clustermodeCommand(), clustershowCommand(), clustersetCommand()}
}
