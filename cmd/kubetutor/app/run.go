package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

// runOptions are the flags of `kubetutor run`.
type runOptions struct {
	auto      bool
	watch     bool
	timeout   time.Duration
	output    string
	keepGoing bool
	noCleanup bool
	images    []string
	step      string
	progress  bool
	fromStart bool
}

// newRunCommand runs a lesson's steps on the cluster without the TUI.
func newRunCommand(env *Env) *cobra.Command {
	tr := env.Tr()
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run LESSON",
		Short: tr.T("CLIRunShort", nil),
		Long:  tr.T("CLIRunLong", nil),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLesson(cmd, env, o, args[0])
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.auto, "auto", false, tr.T("FlagAuto", nil))
	fl.BoolVar(&o.watch, "watch", false, tr.T("FlagWatch", nil))
	fl.DurationVar(&o.timeout, "timeout", 0, tr.T("FlagTimeout", nil))
	fl.StringVarP(&o.output, "output", "o", "text", tr.T("FlagOutput", nil))
	fl.BoolVar(&o.keepGoing, "keep-going", false, tr.T("FlagKeepGoing", nil))
	fl.BoolVar(&o.noCleanup, "no-cleanup", false, tr.T("FlagNoCleanup", nil))
	fl.StringArrayVar(&o.images, "image", nil, tr.T("FlagImage", nil))
	fl.StringVar(&o.step, "step", "", tr.T("FlagStep", nil))
	fl.BoolVar(&o.progress, "progress", false, tr.T("FlagProgress", nil))
	fl.BoolVar(&o.fromStart, "from-start", false, tr.T("FlagFromStart", nil))
	return cmd
}

// parseImages turns NAME=REF flags into overrides of the lesson's images.
func parseImages(spec lesson.Spec, flags []string, tr interface {
	T(string, map[string]any) string
}) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		name, ref, ok := strings.Cut(f, "=")
		if !ok || name == "" || ref == "" {
			return nil, errors.New(tr.T("CLIBadImage", map[string]any{"Flag": f}))
		}
		if _, known := spec.Images[name]; !known {
			var names []string
			for n := range spec.Images {
				names = append(names, n)
			}
			return nil, errors.New(tr.T("CLIUnknownImage", map[string]any{"Name": name, "Known": strings.Join(names, ", ")}))
		}
		out[name] = ref
	}
	return out, nil
}

func runLesson(cmd *cobra.Command, env *Env, o *runOptions, id string) error {
	tr := env.Tr()
	switch {
	case o.auto && o.watch:
		fmt.Fprintln(env.Streams.ErrOut, tr.T("CLIWatchAndAuto", nil))
		return ExitError{Code: 2}
	case !o.auto && !o.watch:
		fmt.Fprintln(env.Streams.ErrOut, tr.T("CLIRunNotAuto", map[string]any{"Lesson": id}))
		return ExitError{Code: 2}
	case o.timeout < 0:
		return errors.New(tr.T("CLIBadTimeout", map[string]any{"Timeout": o.timeout}))
	}
	switch o.output {
	case "text", "json", "junit":
	default:
		return errors.New(tr.T("CLIBadOutput", map[string]any{"Output": o.output}))
	}
	l, err := env.FindLesson(id)
	if err != nil {
		return err
	}
	if o.step != "" {
		if _, ok := l.Step(o.step); !ok {
			var ids []string
			for _, s := range l.Spec.Steps {
				ids = append(ids, s.ID)
			}
			return errors.New(tr.T("CLIUnknownStep", map[string]any{"Step": o.step, "Known": strings.Join(ids, ", ")}))
		}
	}
	images, err := parseImages(l.Spec, o.images, tr)
	if err != nil {
		return err
	}
	cluster, err := kube.New(env.Kube)
	if err != nil {
		return err
	}
	_, _, mfs, _ := env.Content()
	cache, err := env.ManifestCache()
	if err != nil {
		return err
	}
	var obs engine.Observer
	if o.output == "text" {
		titles := map[string]string{}
		for _, sec := range l.Doc(env.Lang).Sections {
			for _, s := range sec.Steps {
				titles[s.ID] = s.Title
			}
		}
		obs = &engine.Text{W: env.Streams.Out, Tr: tr, Progress: o.progress, Titles: titles, Watch: o.watch}
	} else if o.progress {
		// Machine-readable output on stdout; progress to stderr.
		obs = &engine.Text{W: env.Streams.ErrOut, Tr: tr, Progress: true, Watch: o.watch}
	}
	eng := engine.New(cluster, l, mfs, engine.Options{
		Lang: env.Lang, Images: images, KeepGoing: o.keepGoing, NoCleanup: o.noCleanup, Only: o.step, FromStart: o.fromStart,
		Watch: o.watch, MaxWait: o.timeout, ManifestCache: cache,
	}, obs)
	res := eng.Run(cmd.Context())
	switch o.output {
	case "json":
		err = engine.WriteJSON(env.Streams.Out, tr, res)
	case "junit":
		err = engine.WriteJUnit(env.Streams.Out, tr, res)
	}
	if err != nil {
		return err
	}
	if res.Interrupted {
		return ExitError{Code: 130}
	}
	if !res.Passed {
		return ExitError{Code: 1}
	}
	return nil
}
