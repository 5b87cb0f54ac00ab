// Command etcd runs one etcd member (go.etcd.io/etcd/server/v3/embed)
// with etcd's own flags, for seg's cluster tests on machines without a
// packaged etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
