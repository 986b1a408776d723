// Command labctl is a development driver for package lab, the same
// operations as `kubetutor lab up|down|status|images|leftovers`.
//
//	go run ./runner/lab/internal/labctl up
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubetutor/kubetutor/runner/lab"
)

func main() {
	keep := flag.Bool("keep", false, "down: keep the state dir")
	replace := flag.Bool("replace", false, "up: stop a lab running from another state dir")
	stateDir := flag.String("state-dir", "", "state dir (default: .lab in the repository)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := lab.Options{Out: os.Stdout, Replace: *replace, StateDir: *stateDir}
	var err error
	switch flag.Arg(0) {
	case "up":
		err = lab.Up(ctx, o)
	case "down":
		err = lab.Down(ctx, o, *keep)
	case "images":
		err = lab.Images(ctx, o)
	case "status":
		var s lab.State
		if s, err = lab.Status(ctx, o); err == nil {
			s.Print(os.Stdout)
			if !s.Running() {
				os.Exit(3)
			}
		}
	case "leftovers":
		var left []string
		if left, err = lab.Leftovers(ctx, o); err == nil {
			for _, l := range left {
				fmt.Println(l)
			}
			if len(left) > 0 {
				os.Exit(3)
			}
		}
	default:
		err = fmt.Errorf("usage: labctl [-keep] [-replace] [-state-dir DIR] up|down|status|images|leftovers")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labctl:", err)
		os.Exit(1)
	}
}
