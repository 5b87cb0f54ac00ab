package shell

import (
	"errors"
	"fmt"
	"strings"

	"seg/store"
)

// clustershow tells at which level each object of a view is defined;
// clusterset copies or moves one object between levels (SPEC 14). An
// object is a unit of showchanges ("destconfig example.com", "listener
// IncomingMail", "incoming policies"): a setting is defined at a level as
// a whole object.

func clustershowCommand() *Command {
	return &Command{
		Name: "clustershow",
		Help: "Show at which level (cluster, group, machine) each setting is defined.",
		Usage: []string{
			"clustershow                   (the level this session edits)",
			"clustershow cluster",
			"clustershow group GROUP",
			"clustershow machine MACHINE",
		},
		Access: AccessReadOnly,
		Sub:    []string{"cluster", "group", "machine"},
		Complete: func(c *Ctx, args []string) []string {
			return completeLevel(clusterState(c), args)
		},
		Run: func(c *Ctx, args []string) error {
			cl, st, err := clustered(c)
			if err != nil {
				return err
			}
			l, err := levelArgs(st, args, c.S.Level, "clustershow [cluster | group GROUP | machine MACHINE]")
			if err != nil {
				return err
			}
			objs, err := cl.Show(l)
			if err != nil {
				return clusterErr(err)
			}
			c.Printf("Settings as seen at %s:\n", levelName(st, l))
			rows := make([][]string, len(objs))
			for i, o := range objs {
				over := make([]string, len(o.Overrides))
				for j, ov := range o.Overrides {
					over[j] = levelName(st, ov)
				}
				rows[i] = []string{o.Object, levelName(st, o.Level), strings.Join(over, ", ")}
			}
			c.Printf("%s", FormatTable([]string{"Setting", "Defined At", "Overridden At"}, rows))
			return nil
		},
	}
}

// clustersetUsage is clusterset's batch form.
const clustersetUsage = "Usage: clusterset OBJECT --from LEVEL --to LEVEL [--move]"

func clustersetCommand() *Command {
	return &Command{
		Name: "clusterset",
		Help: "Copy or move a setting from one level of the cluster to another.",
		Usage: []string{
			"clusterset OBJECT --from LEVEL --to LEVEL [--move]",
			"  OBJECT: a setting as clustershow names it (\"destconfig example.com\"; quotes optional).",
			"  LEVEL: cluster, group:GROUP or machine:MACHINE.",
			"  Copies by default; --move also removes the setting from the --from level.",
			"  It takes effect at once, on every machine: no commit is needed.",
		},
		Access: AccessAdmin,
		Complete: func(c *Ctx, args []string) []string {
			st := clusterState(c)
			if st.Name == "" {
				return nil
			}
			if n := len(args); n >= 2 && (args[n-2] == "--from" || args[n-2] == "--to") {
				return completeLevelWord(st)
			}
			if len(args) <= 1 {
				return showNames(c, c.S.Level)
			}
			return []string{"--from", "--to", "--move"}
		},
		Run: func(c *Ctx, args []string) error {
			cl, st, err := clustered(c)
			if err != nil {
				return err
			}
			var req setRequest
			switch {
			case len(args) > 0:
				req, err = parseClusterset(st, args)
			case !c.S.Interactive:
				err = Errorf("%s (LEVEL: cluster, group:GROUP or machine:MACHINE)", clustersetUsage)
			default:
				req, err = askClusterset(c, st)
			}
			if err != nil {
				return err
			}
			return doClusterset(c, cl, st, req)
		},
	}
}

// setRequest is one clusterset.
type setRequest struct {
	object   string
	from, to store.Level
	move     bool
}

func parseClusterset(st ClusterState, args []string) (setRequest, error) {
	var r setRequest
	o, err := UserOpts(args, "move")
	if err != nil {
		return r, err
	}
	if err := o.Allow("from", "to", "move"); err != nil {
		return r, err
	}
	r.object = strings.Join(o.Pos, " ")
	from, okFrom := o.Named["from"]
	to, okTo := o.Named["to"]
	if r.object == "" || !okFrom || !okTo || !flagForm(o, "move") {
		return r, Errorf("%s (LEVEL: cluster, group:GROUP or machine:MACHINE)", clustersetUsage)
	}
	if r.from, err = levelWord(st, from); err != nil {
		return r, err
	}
	if r.to, err = levelWord(st, to); err != nil {
		return r, err
	}
	r.move = o.Named["move"] == "on"
	return r, nil
}

func askClusterset(c *Ctx, st ClusterState) (setRequest, error) {
	var r setRequest
	var err error
	if r.from, err = askLevel(c, "Choose the level to copy or move the setting from:", st, c.S.Level); err != nil {
		return r, err
	}
	names := showNames(c, r.from)
	if r.object, err = c.AskOf("Enter the setting, as clustershow names it (such as destconfig example.com).", "", names, func(s string) (string, error) {
		if s == "" {
			return "", errors.New("You must enter a value.")
		}
		if n := findName(names, s); n != "" {
			return n, nil
		}
		return "", fmt.Errorf("Unknown setting %q at %s (see 'clustershow').", s, levelName(st, r.from))
	}); err != nil {
		return r, err
	}
	if r.to, err = askLevel(c, "Choose the level to copy or move it to:", st, store.Level{Kind: store.LevelCluster}); err != nil {
		return r, err
	}
	i, err := Choose(c, "Copy the setting, or move it (remove it from "+levelName(st, r.from)+")?", []string{"Copy", "Move"}, 1)
	r.move = i == 1
	return r, err
}

// showNames are the objects of the view at l, for completion ("" when
// the cluster cannot say).
func showNames(c *Ctx, l store.Level) []string {
	if c.S.Cluster == nil {
		return nil
	}
	objs, err := c.S.Cluster.Show(l)
	if err != nil {
		return nil
	}
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Object
	}
	return out
}

func doClusterset(c *Ctx, cl Cluster, st ClusterState, r setRequest) error {
	if sameLevel(r.from, r.to) {
		return Errorf("The setting is already at %s: choose another level to copy or move it to.", levelName(st, r.from))
	}
	objs, err := cl.Show(r.from)
	if err != nil {
		return clusterErr(err)
	}
	found := ""
	for _, o := range objs {
		if strings.EqualFold(o.Object, r.object) {
			found = o.Object
		}
	}
	if found == "" {
		return Errorf("Unknown setting %q at %s (see 'clustershow').", r.object, levelName(st, r.from))
	}
	if err := cl.Set(found, r.from, r.to, r.move, c.S.User, c.S.Role); err != nil {
		return clusterErr(err)
	}
	verb := "Copied"
	if r.move {
		verb = "Moved"
	}
	c.Printf("%s %s from %s to %s. It takes effect at once.\n", verb, found, levelName(st, r.from), levelName(st, r.to))
	return nil
}
