// kube-apiserver, built from k8s.io/kubernetes v1.37.2 for the kubernetes connector's tests.
// k8s.io/kubernetes's go.mod replaces its staging modules (k8s.io/api, k8s.io/apiserver, ...) with
// directories inside its own repository, so `go install` refuses it; this module requires it and
// points each of those modules at its published v0.37.2 instead (see go.mod).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
