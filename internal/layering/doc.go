// Package layering holds no code: its test reads the import graph of the
// whole module (go list) and fails when a package depends on a layer it
// must not (layering_test.go lists the rules, each with its reason).
package layering
