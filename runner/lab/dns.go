package lab

import (
	"context"
	"net/http"
	"os"
	"time"
)

// startCoreDNS runs CoreDNS on DNSHostIP (a lo address) and waits until its
// kubernetes plugin has synced (the ready endpoint).
func startCoreDNS(ctx context.Context, p procs, b binaries) error {
	corefile := p.l.config("Corefile")
	if err := os.WriteFile(corefile, []byte(renderCorefile(p.l)), 0o644); err != nil {
		return err
	}
	if _, err := p.start("coredns", b.path("coredns"), []string{"-conf", corefile}, nil); err != nil {
		return err
	}
	c := &http.Client{Timeout: 2 * time.Second}
	return waitFor(ctx, 60*time.Second, "coredns (see .lab/logs/coredns.log)", func(ctx context.Context) error {
		return httpOK(ctx, c, "http://127.0.0.1:18181/ready")
	})
}
