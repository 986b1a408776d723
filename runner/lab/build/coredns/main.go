// Command coredns is the offline lab's cluster DNS: CoreDNS with only the
// plugins the lab needs (kubernetes, bind, cache, errors, log, health, ready). It
// runs as a host process behind the kube-dns Service and has no upstream
// resolver, so pods never reach the host's DNS.
package main

import (
	_ "github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() { coremain.Run() }
