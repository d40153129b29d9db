// etcd v3.7.3, the store kube-apiserver needs, for the kubernetes connector's tests. etcd's own
// go.mod replaces its sibling modules with directories of its repository, so `go install` refuses
// it; this module requires the server package and takes the siblings' published versions.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
