package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/step"
	"github.com/kubetutor/kubetutor/runner/workshop"
	"github.com/kubetutor/kubetutor/runner/workshop/dash"
	"github.com/kubetutor/kubetutor/runner/workshop/web"
)

// newWorkshopCommand is `kubetutor workshop …`: an instructor's commands
// for a class of learners on one shared cluster.
func newWorkshopCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	cmd := &cobra.Command{
		Use:   "workshop",
		Short: tr.T("CLIWorkshopShort", nil),
		Long:  tr.T("CLIWorkshopLong", map[string]any{"Cmd": env.Name}),
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newWorkshopInitCommand(env),
		newWorkshopStatusCommand(env),
		newWorkshopWatchCommand(env),
		newWorkshopServeCommand(env),
		newWorkshopPushCommand(env),
		newWorkshopResetCommand(env),
		newWorkshopCheckCommand(env),
		newWorkshopDownCommand(env),
	)
	return cmd
}

// wsError turns an error of the workshop package into one in the user's
// language.
func wsError(tr *l10n.Translator, err error) error {
	if err == nil {
		return nil
	}
	var ce *workshop.CapacityError
	if errors.As(err, &ce) {
		lines := []string{tr.T("CLIWorkshopNoRoom", nil)}
		for _, m := range ce.Shortfalls {
			lines = append(lines, "  ✗ "+m.Text(tr))
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	var pe *workshop.PushError
	if errors.As(err, &pe) {
		return errors.New(tr.T("CLIWorkshopPushFailed", map[string]any{"Learners": strings.Join(pe.Learners, ", ")}))
	}
	var f *step.Failure
	if errors.As(err, &f) {
		return errors.New(failureText(tr, f))
	}
	return err
}

// failureText is a failure in one paragraph: what, the underlying error,
// what to do.
func failureText(tr *l10n.Translator, f *step.Failure) string {
	s := f.Msg.Text(tr)
	if f.Err != nil && f.Msg.Args["Error"] == nil && !f.TimedOut {
		s += ": " + f.Err.Error()
	}
	if !f.Hint.IsZero() {
		s += " — " + f.Hint.Text(tr)
	}
	return s
}

// openClass finds workshop name on the cluster of the kubectl flags: its
// lesson is on the learners' namespaces. It does not start the evaluator.
func openClass(ctx context.Context, env *Env, name, lessonID string) (*workshop.Class, error) {
	tr := env.Tr()
	if err := workshop.ValidateName(name); err != nil {
		return nil, wsError(tr, err)
	}
	cluster, err := kube.New(env.Kube)
	if err != nil {
		return nil, err
	}
	if lessonID == "" {
		l, err := cluster.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: workshop.LabelWorkshop + "=" + name, Limit: 1})
		if err != nil {
			return nil, errors.New(tr.T("CLIWorkshopUnreachable", map[string]any{"Error": err.Error()}))
		}
		if len(l.Items) == 0 {
			return nil, errors.New(tr.T("CLIWorkshopNotFound", map[string]any{"Workshop": name, "Cmd": env.Name}))
		}
		lessonID = l.Items[0].Labels[workshop.LabelLesson]
	}
	l, err := env.FindLesson(lessonID)
	if err != nil {
		return nil, err
	}
	dir, err := workshop.StateDir(env.Getenv)
	if err != nil {
		return nil, wsError(tr, err)
	}
	_, _, mfs, _ := env.Content()
	return &workshop.Class{Name: name, Lesson: l, Cluster: cluster, Manifests: mfs, StateDir: dir}, nil
}

// startClass opens workshop name and starts its evaluator until ctx ends.
func startClass(ctx context.Context, env *Env, name string) (*workshop.Class, *workshop.Evaluator, error) {
	c, err := openClass(ctx, env, name, "")
	if err != nil {
		return nil, nil, err
	}
	e, err := workshop.NewEvaluator(c)
	if err != nil {
		return nil, nil, wsError(env.Tr(), err)
	}
	if err := e.Start(ctx); err != nil {
		return nil, nil, wsError(env.Tr(), err)
	}
	return c, e, nil
}

func newWorkshopInitCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var lessonID, names, out string
	var n int
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:     "init NAME",
		Short:   tr.T("CLIWorkshopInitShort", nil),
		Long:    tr.T("CLIWorkshopInitLong", nil),
		Example: "  " + env.Name + " workshop init k8s-0612 --lesson mysql --learners 30",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			var namesFile io.Reader
			if names != "" {
				f, err := os.Open(names)
				if err != nil {
					return errors.New(tr.T("CLIWorkshopNamesFile", map[string]any{"File": names, "Error": err.Error()}))
				}
				defer f.Close()
				namesFile = f
			}
			if err := workshop.ValidateName(name); err != nil {
				return wsError(tr, err)
			}
			learners, err := workshop.Learners(name, n, namesFile)
			if err != nil {
				return wsError(tr, err)
			}
			if lessonID == "" {
				lessonID = DefaultLesson
			}
			c, err := openClass(cmd.Context(), env, name, lessonID)
			if err != nil {
				return err
			}
			if out == "" {
				out = name
			}
			w := env.Streams.Out
			var mu sync.Mutex
			res, err := workshop.Init(cmd.Context(), c, workshop.InitOptions{Learners: learners, OutDir: out, TokenTTL: ttl,
				Report: func(l, path string, err error) {
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						fmt.Fprintf(w, " ✗ %s\n", tr.T("CLIWorkshopLearnerFailed", map[string]any{"Learner": l, "Error": wsError(tr, err).Error()}))
						return
					}
					fmt.Fprintf(w, " ✓ %s\n", tr.T("CLIWorkshopLearnerReady", map[string]any{"Learner": l, "Namespace": c.Namespace(l), "File": path}))
				}})
			if res != nil {
				cpu, mem := res.Capacity.FreeCPU(), res.Capacity.FreeMemory()
				fmt.Fprintln(env.Streams.ErrOut, tr.T("CLIWorkshopSizing", map[string]any{
					"Lesson": c.Lesson.ID, "Peak": res.Peak.String(), "Step": res.Peak.Step, "Learners": len(learners),
					"Nodes": res.Capacity.Nodes, "CPU": cpu.String(), "Memory": mem.String()}))
			}
			if err != nil {
				return wsError(tr, err)
			}
			fmt.Fprintln(w, tr.T("CLIWorkshopInitDone", map[string]any{"Workshop": name, "Count": len(learners), "Dir": out,
				"Steps": strings.Join(res.Rights.InstructorSteps, ", "), "Cmd": env.Name}))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&lessonID, "lesson", "", tr.T("FlagWorkshopLesson", map[string]any{"Default": DefaultLesson}))
	fl.IntVar(&n, "learners", 0, tr.T("FlagWorkshopLearners", nil))
	fl.StringVar(&names, "names", "", tr.T("FlagWorkshopNames", nil))
	fl.StringVar(&out, "out", "", tr.T("FlagWorkshopOut", nil))
	fl.DurationVar(&ttl, "token-ttl", 8*time.Hour, tr.T("FlagWorkshopTokenTTL", nil))
	return cmd
}

func newWorkshopStatusCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var output, at string
	cmd := &cobra.Command{
		Use:     "status NAME",
		Short:   tr.T("CLIWorkshopStatusShort", nil),
		Long:    tr.T("CLIWorkshopStatusLong", nil),
		Example: "  " + env.Name + " workshop status k8s-0612 --at apply-statefulset && echo everyone is there",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return errors.New(tr.T("CLIWorkshopBadOutput", map[string]any{"Output": output}))
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			c, e, err := startClass(ctx, env, args[0])
			if err != nil {
				return err
			}
			atIdx := -1
			if at != "" {
				if atIdx, err = c.StepIndex(at); err != nil {
					return wsError(tr, err)
				}
			}
			s := e.Snapshot()
			if output == "json" {
				enc := json.NewEncoder(env.Streams.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(s); err != nil {
					return err
				}
			} else {
				printStatus(env, c, s)
			}
			if atIdx < 0 {
				return nil
			}
			var behind []string
			for _, l := range s.Learners {
				if l.StepIndex < atIdx+1 {
					behind = append(behind, l.Name)
				}
			}
			if len(behind) > 0 {
				fmt.Fprintln(env.Streams.ErrOut, "✗ "+tr.T("CLIWorkshopBehind", map[string]any{"Count": len(behind), "Total": len(s.Learners), "Step": at, "Learners": strings.Join(behind, ", ")}))
				return ExitError{Code: 1}
			}
			fmt.Fprintln(env.Streams.ErrOut, "✓ "+tr.T("CLIWorkshopAllAt", map[string]any{"Total": len(s.Learners), "Step": at}))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", tr.T("FlagWorkshopOutput", nil))
	cmd.Flags().StringVar(&at, "at", "", tr.T("FlagWorkshopAt", nil))
	return cmd
}

// printStatus writes the class as a table.
func printStatus(env *Env, c *workshop.Class, s workshop.Snapshot) {
	tr := env.Tr()
	fmt.Fprintln(env.Streams.Out, tr.T("CLIWorkshopHeader", map[string]any{"Workshop": s.Workshop, "Lesson": s.Lesson, "Count": len(s.Learners), "Steps": len(c.Lesson.Spec.Steps)}))
	rows := [][]string{{tr.T("CLIWorkshopColLearner", nil), tr.T("CLIWorkshopColNamespace", nil), tr.T("CLIWorkshopColStep", nil),
		tr.T("CLIWorkshopColSince", nil), tr.T("CLIWorkshopColState", nil), tr.T("CLIWorkshopColWarning", nil)}}
	now := time.Now()
	for _, l := range s.Learners {
		stepCol, since, warn := "—", "—", "—"
		if l.StepIndex > 0 {
			stepCol = fmt.Sprintf("%d %s", l.StepIndex, l.Step)
		}
		if !l.Since.IsZero() {
			since = engine.FormatDuration(now.Sub(l.Since).Round(time.Second))
		}
		if l.LastWarning != "" {
			warn = l.LastWarning
			if len(warn) > 70 {
				warn = warn[:69] + "…"
			}
		}
		rows = append(rows, []string{l.Name, l.Namespace, stepCol, since, tr.T("WorkshopState_"+strings.ReplaceAll(l.State, "-", "_"), nil), warn})
	}
	io.WriteString(env.Streams.Out, table(rows))
}

func newWorkshopWatchCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var hide bool
	cmd := &cobra.Command{
		Use:   "watch NAME",
		Short: tr.T("CLIWorkshopWatchShort", nil),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			c, e, err := startClass(ctx, env, args[0])
			if err != nil {
				return err
			}
			in := &workshop.Instructor{Class: c, Eval: e}
			return dash.Run(ctx, env.Streams.In, env.Streams.Out, e, in, dash.Options{
				Lang: env.Lang, Lesson: c.Lesson, HideNames: hide, AltScreen: true})
		},
	}
	cmd.Flags().BoolVar(&hide, "hide-names", false, tr.T("FlagWorkshopHideNames", nil))
	return cmd
}

func newWorkshopServeCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var addr, token string
	var hide bool
	cmd := &cobra.Command{
		Use:   "serve NAME",
		Short: tr.T("CLIWorkshopServeShort", nil),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return errors.New(tr.T("CLIWorkshopBadAddr", map[string]any{"Addr": addr, "Error": err.Error()}))
			}
			if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && token == "" {
				return errors.New(tr.T("CLIWorkshopNeedToken", map[string]any{"Addr": addr}))
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			c, e, err := startClass(ctx, env, args[0])
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return errors.New(tr.T("CLIWorkshopListen", map[string]any{"Addr": addr, "Error": err.Error()}))
			}
			srv := &http.Server{Handler: web.NewServer(e, web.Options{Token: token, Lang: env.Lang, HideNames: hide, Lesson: c.Lesson}),
				ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
			fmt.Fprintln(env.Streams.ErrOut, tr.T("CLIWorkshopServing", map[string]any{"URL": "http://" + ln.Addr().String() + "/", "Workshop": c.Name}))
			go func() {
				<-ctx.Done()
				sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer scancel()
				_ = srv.Shutdown(sctx)
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", tr.T("FlagWorkshopAddr", nil))
	fl.StringVar(&token, "token", "", tr.T("FlagWorkshopToken", nil))
	fl.BoolVar(&hide, "hide-names", false, tr.T("FlagWorkshopHideNames", nil))
	return cmd
}

// printEvent writes one thing an instructor's action did.
func printEvent(env *Env, mu *sync.Mutex, e workshop.Event) {
	tr := env.Tr()
	mu.Lock()
	defer mu.Unlock()
	w := env.Streams.Out
	switch {
	case e.Status == engine.Passed:
		fmt.Fprintf(w, " ✓ %-8s %s (%s)\n", e.Learner, e.Step, engine.FormatDuration(e.Duration))
	case e.Status == engine.Failed:
		why := ""
		if e.Failure != nil {
			why = failureText(tr, e.Failure)
		}
		fmt.Fprintf(w, " ✗ %-8s %s: %s\n", e.Learner, e.Step, why)
	case e.Learner != "":
		fmt.Fprintf(w, " · %-8s %s\n", e.Learner, e.Msg.Text(tr))
	default:
		fmt.Fprintf(w, " · %s\n", e.Msg.Text(tr))
	}
}

// printPlan writes what a push will do.
func printPlan(env *Env, c *workshop.Class, p workshop.Plan) {
	tr := env.Tr()
	w := env.Streams.Out
	fmt.Fprintln(w, tr.T("CLIWorkshopPlan", map[string]any{"Workshop": c.Name, "Step": p.To, "N": p.ToIndex + 1, "Total": len(c.Lesson.Spec.Steps)}))
	for _, l := range p.Learners {
		switch len(l.Steps) {
		case 0:
			fmt.Fprintf(w, "   %-8s %s\n", l.Name, tr.T("CLIWorkshopPlanThere", nil))
		case 1:
			fmt.Fprintf(w, "   %-8s %s\n", l.Name, tr.T("CLIWorkshopPlanSteps", map[string]any{"Count": 1, "Steps": l.Steps[0]}))
		default:
			fmt.Fprintf(w, "   %-8s %s\n", l.Name, tr.T("CLIWorkshopPlanSteps", map[string]any{"Count": len(l.Steps), "Steps": l.Steps[0] + " … " + l.Steps[len(l.Steps)-1]}))
		}
	}
	if len(p.ClassSteps) > 0 {
		fmt.Fprintln(w, "   "+tr.T("CLIWorkshopPlanClass", map[string]any{"Steps": strings.Join(p.ClassSteps, ", ")}))
	}
}

func newWorkshopPushCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var to, learners string
	var behind, dryRun bool
	var parallel int
	cmd := &cobra.Command{
		Use:     "push NAME --to STEP (--learners LIST | --behind)",
		Short:   tr.T("CLIWorkshopPushShort", nil),
		Long:    tr.T("CLIWorkshopPushLong", nil),
		Example: "  " + env.Name + " workshop push k8s-0612 --to drain-node --behind\n  " + env.Name + " workshop push k8s-0612 --to apply-statefulset --learners 03,07",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return errors.New(tr.T("CLIWorkshopNeedTo", nil))
			}
			if (learners == "") == !behind {
				return errors.New(tr.T("CLIWorkshopWhichLearners", nil))
			}
			var sel []string
			for _, l := range strings.Split(learners, ",") {
				if l = strings.TrimSpace(l); l != "" {
					sel = append(sel, l)
				}
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			c, e, err := startClass(ctx, env, args[0])
			if err != nil {
				return err
			}
			var mu sync.Mutex
			in := &workshop.Instructor{Class: c, Eval: e, Parallel: parallel, Report: func(ev workshop.Event) { printEvent(env, &mu, ev) }}
			plan, err := in.Plan(to, sel)
			if err != nil {
				return wsError(tr, err)
			}
			printPlan(env, c, plan)
			if dryRun {
				return nil
			}
			start := time.Now()
			if err := in.Run(ctx, plan); err != nil {
				return wsError(tr, err)
			}
			fmt.Fprintln(env.Streams.Out, "✓ "+tr.T("CLIWorkshopPushed", map[string]any{"Count": len(plan.Learners), "Step": to, "Took": engine.FormatDuration(time.Since(start))}))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&to, "to", "", tr.T("FlagWorkshopTo", nil))
	fl.StringVar(&learners, "learners", "", tr.T("FlagWorkshopLearnersList", nil))
	fl.BoolVar(&behind, "behind", false, tr.T("FlagWorkshopBehind", nil))
	fl.IntVar(&parallel, "parallel", workshop.DefaultParallel, tr.T("FlagWorkshopParallel", nil))
	fl.BoolVar(&dryRun, "dry-run", false, tr.T("FlagWorkshopDryRun", nil))
	return cmd
}

func newWorkshopResetCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var to string
	cmd := &cobra.Command{
		Use:   "reset NAME LEARNER",
		Short: tr.T("CLIWorkshopResetShort", nil),
		Long:  tr.T("CLIWorkshopResetLong", nil),
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			c, e, err := startClass(ctx, env, args[0])
			if err != nil {
				return err
			}
			var mu sync.Mutex
			in := &workshop.Instructor{Class: c, Eval: e, Report: func(ev workshop.Event) { printEvent(env, &mu, ev) }}
			return wsError(tr, in.Reset(ctx, args[1], to))
		},
	}
	cmd.Flags().StringVar(&to, "to", "", tr.T("FlagWorkshopResetTo", nil))
	return cmd
}

func newWorkshopCheckCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	cmd := &cobra.Command{
		Use:   "check NAME LEARNER",
		Short: tr.T("CLIWorkshopCheckShort", nil),
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			c, e, err := startClass(ctx, env, args[0])
			if err != nil {
				return err
			}
			in := &workshop.Instructor{Class: c, Eval: e}
			d, err := in.DeepCheck(ctx, args[1])
			if err != nil {
				return wsError(tr, err)
			}
			for i, s := range d.Steps {
				mark := "–"
				if s.Done {
					mark = "✓"
				}
				if s.How == workshop.HowCheckFailed {
					mark = "✗"
				}
				how := s.How
				if s.Inside && how == "" {
					how = "inside"
				}
				fmt.Fprintf(env.Streams.Out, " %s %2d %-22s %s\n", mark, i+1, s.ID, how)
			}
			return nil
		},
	}
	return cmd
}

func newWorkshopDownCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	var out string
	cmd := &cobra.Command{
		Use:   "down NAME",
		Short: tr.T("CLIWorkshopDownShort", nil),
		Long:  tr.T("CLIWorkshopDownLong", nil),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			c, e, err := startClass(ctx, env, args[0])
			if err != nil {
				return err
			}
			if out == "" {
				out = c.Name
			}
			in := &workshop.Instructor{Class: c, Eval: e}
			res, err := in.Down(ctx, out)
			if res != nil && res.Report != "" {
				fmt.Fprintln(env.Streams.Out, " ✓ "+tr.T("CLIWorkshopReport", map[string]any{"File": res.Report}))
			}
			if err != nil {
				return wsError(tr, err)
			}
			if len(res.Uncordoned) > 0 {
				fmt.Fprintln(env.Streams.Out, " ✓ "+tr.T("WorkshopUncordoned", map[string]any{"Nodes": strings.Join(res.Uncordoned, ", ")}))
			}
			fmt.Fprintln(env.Streams.Out, " ✓ "+tr.T("CLIWorkshopDown", map[string]any{"Count": len(res.Namespaces), "Files": len(res.Files), "Dir": filepath.Clean(out)}))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", tr.T("FlagWorkshopOut", nil))
	return cmd
}
