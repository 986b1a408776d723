// Package app is the kubetutor command line: flags, subcommands, and the
// wiring of lessons, translations and the cluster. Main is the only place
// that exits the process; Run is what tests call.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubetutor/kubetutor/i18n"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/manifests"
	"github.com/kubetutor/kubetutor/runner/l10n"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// DefaultLesson is the lesson opened when kubetutor runs without arguments.
const DefaultLesson = "mysql"

// Version is set at build time with -ldflags "-X …/app.Version=…".
var Version = "dev"

// ExitError carries a process exit code through Run (e.g. lint problems).
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs kubetutor with the process's arguments and exits. SIGINT and
// SIGTERM cancel the context, so running steps stop cleanly.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := Run(ctx, streams, os.Args, os.Getenv)
	var exit ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		os.Exit(exit.Code)
	default:
		fmt.Fprintln(os.Stderr, "kubetutor:", err)
		os.Exit(1)
	}
}

// Env is what every subcommand shares: streams, the user's language and
// translations, where lessons and manifests come from, and the kubectl
// connection flags.
type Env struct {
	Streams genericiooptions.IOStreams
	Getenv  func(string) string
	// Name is the command as the user types it: "kubetutor", or "kubectl
	// tutor" when run as the kubectl plugin kubectl-tutor.
	Name string
	// Lang is "en" or "ja" (--lang, else LC_ALL/LC_MESSAGES/LANG).
	Lang string
	// Catalog holds the UI messages.
	Catalog *l10n.Catalog
	// LessonsDir and ManifestsDir override the embedded content.
	LessonsDir, ManifestsDir string
	// Kube are kubectl's connection flags (--kubeconfig, --context, -n …).
	Kube *genericclioptions.ConfigFlags
}

// Tr returns the translator for the chosen language.
func (e *Env) Tr() *l10n.Translator { return e.Catalog.Translator(e.Lang) }

// Content returns the lessons and manifests file systems and the paths to
// show in messages.
func (e *Env) Content() (lessonsFS fs.FS, lessonsRoot string, manifestsFS fs.FS, manifestsRoot string) {
	lessonsFS, lessonsRoot = lessons.FS, "lessons"
	manifestsFS, manifestsRoot = manifests.FS, "manifests"
	if e.LessonsDir != "" {
		lessonsFS, lessonsRoot = os.DirFS(e.LessonsDir), filepath.Clean(e.LessonsDir)
		sibling := filepath.Join(filepath.Dir(filepath.Clean(e.LessonsDir)), "manifests")
		if st, err := os.Stat(sibling); err == nil && st.IsDir() && e.ManifestsDir == "" {
			manifestsFS, manifestsRoot = os.DirFS(sibling), sibling
		}
	}
	if e.ManifestsDir != "" {
		manifestsFS, manifestsRoot = os.DirFS(e.ManifestsDir), filepath.Clean(e.ManifestsDir)
	}
	return
}

// LoadLessons loads every lesson; structural problems make it fail with the
// first few of them, located and translated.
func (e *Env) LoadLessons() ([]*lesson.Lesson, error) {
	lfs, root, _, _ := e.Content()
	all, probs, err := lesson.LoadAll(lfs, root, step.Kinds())
	if err != nil {
		return nil, fmt.Errorf("read lessons from %s: %w", root, err)
	}
	if len(probs) > 0 {
		return nil, problemsError(e.Tr(), e.Name, probs)
	}
	return all, nil
}

// FindLesson loads the lesson with the given ID.
func (e *Env) FindLesson(id string) (*lesson.Lesson, error) {
	all, err := e.LoadLessons()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range all {
		if l.ID == id {
			return l, nil
		}
		ids = append(ids, l.ID)
	}
	return nil, errors.New(e.Tr().T("CLIUnknownLesson", map[string]any{"ID": id, "Known": strings.Join(ids, ", "), "Cmd": e.Name}))
}

func problemsError(tr lesson.Translator, name string, probs []lesson.Problem) error {
	lesson.SortProblems(probs)
	var b strings.Builder
	for i, p := range probs {
		if i == 10 {
			fmt.Fprintf(&b, "… (+%d)\n", len(probs)-i)
			break
		}
		b.WriteString(p.Format(tr))
		b.WriteByte('\n')
	}
	b.WriteString(tr.T("CLIRunLint", map[string]any{"Cmd": name}))
	return errors.New(b.String())
}

// Run executes kubetutor with argv, the command line as in os.Args: the
// program name, then the arguments. The program name decides how help
// and usage name the command (see commandName).
func Run(ctx context.Context, streams genericiooptions.IOStreams, argv []string, getenv func(string) string) error {
	cat, err := l10n.LoadCatalog(i18n.FS)
	if err != nil {
		return err
	}
	prog := "kubetutor"
	var args []string
	if len(argv) > 0 {
		prog, args = argv[0], argv[1:]
	}
	env := &Env{Streams: streams, Getenv: getenv, Catalog: cat, Kube: genericclioptions.NewConfigFlags(true)}
	var complete bool
	env.Name, complete = commandName(prog)
	if complete {
		// kubectl runs kubectl_complete-tutor ARGS… to complete
		// `kubectl tutor ARGS…`; cobra's __complete answers in the format
		// kubectl reads.
		args = append([]string{cobra.ShellCompRequestCmd}, args...)
	}
	env.Lang = l10n.FromEnv(getenv)
	// The language decides the help texts, so read --lang before cobra does.
	if l := langFromArgs(args); l != "" {
		env.Lang = l10n.Normalize(l)
	}
	root := NewRootCommand(ctx, env)
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	return root.ExecuteContext(ctx)
}

func langFromArgs(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--lang="); ok {
			return v
		}
		if a == "--lang" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// commandName returns the command as the user types it for a program
// name (argv[0]) and whether the program was run as a kubectl completion
// helper. Installed as kubectl-tutor, kubectl runs it for `kubectl tutor`:
// dashes in a plugin's file name separate words of the command and
// underscores stand for dashes (kubectl-foo_bar is `kubectl foo-bar`).
// kubectl_complete-tutor is the executable kubectl runs to complete
// `kubectl tutor …`. Any other name is kubetutor.
func commandName(argv0 string) (name string, complete bool) {
	base := filepath.Base(argv0)
	plugin, ok := strings.CutPrefix(base, "kubectl-")
	if !ok {
		plugin, complete = strings.CutPrefix(base, "kubectl_complete-")
	}
	if (!ok && !complete) || plugin == "" {
		return "kubetutor", false
	}
	return "kubectl " + strings.ReplaceAll(strings.ReplaceAll(plugin, "-", " "), "_", "-"), complete
}

// NewRootCommand builds the command tree.
func NewRootCommand(ctx context.Context, env *Env) *cobra.Command {
	tr := env.Tr()
	if env.Name == "" {
		env.Name = "kubetutor"
	}
	// cobra names a command by the first word of Use. As a plugin, Use is
	// the executable (kubectl-tutor: completion scripts complete that) and
	// help and usage show the display name, `kubectl tutor`.
	use, annotations := env.Name, map[string]string(nil)
	if plugin, ok := strings.CutPrefix(env.Name, "kubectl "); ok {
		use = "kubectl-" + strings.ReplaceAll(strings.ReplaceAll(plugin, "-", "_"), " ", "-")
		annotations = map[string]string{cobra.CommandDisplayNameAnnotation: env.Name}
	}
	root := &cobra.Command{
		Use:           use,
		Annotations:   annotations,
		Short:         tr.T("CLIShort", nil),
		Long:          tr.T("CLILong", nil),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd.Context(), env, DefaultLesson)
		},
	}
	root.SetContext(ctx)
	fl := root.PersistentFlags()
	// The flag's own default stays empty: the help states the default
	// once, in the user's language, with where it comes from.
	var lang string
	fl.StringVar(&lang, "lang", "", tr.T("FlagLang", map[string]any{"Default": l10n.FromEnv(env.Getenv)}))
	fl.StringVar(&env.LessonsDir, "lessons-dir", "", tr.T("FlagLessonsDir", nil))
	fl.StringVar(&env.ManifestsDir, "manifests-dir", "", tr.T("FlagManifestsDir", nil))
	env.Kube.AddFlags(fl)
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if lang == "" {
			return nil // Run took the language from the environment
		}
		if l10n.Normalize(lang) != strings.ToLower(lang) && !strings.Contains(lang, "_") {
			return errors.New(tr.T("CLIBadLang", map[string]any{"Lang": lang}))
		}
		env.Lang = l10n.Normalize(lang)
		return nil
	}
	root.AddCommand(
		newListCommand(env),
		newShowCommand(env),
		newManifestsCommand(env),
		newLintCommand(env),
		newVersionCommand(env),
		newOpenCommand(env),
		newRunCommand(env),
		newLabCommand(env),
	)
	if annotations != nil {
		// cobra's completion scripts complete the executable typed as one
		// word; kubectl completes `kubectl tutor …` through a helper
		// executable instead (kubectl_complete-tutor, see commandName).
		root.InitDefaultCompletionCmd()
		if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
			c.Long = tr.T("CLICompletionPlugin", map[string]any{
				"Cmd": env.Name, "Exe": use, "Helper": strings.Replace(use, "-", "_complete-", 1),
			}) + "\n\n" + c.Long
		}
	}
	return root
}
