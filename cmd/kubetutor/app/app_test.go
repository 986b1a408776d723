package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// run executes kubetutor with args and a fixed environment.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runAs(t, "kubetutor", env, args...)
}

// runAs executes the program named argv0 (kubetutor installed under
// another name) with args and a fixed environment.
func runAs(t *testing.T, argv0 string, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	err = Run(context.Background(), streams, append([]string{argv0}, args...), func(k string) string { return env[k] })
	return out.String(), errOut.String(), err
}

func TestList(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"english by default", nil, []string{"list"}, "Run a Replicated Stateful Application"},
		{"japanese from LANG", map[string]string{"LANG": "ja_JP.UTF-8"}, []string{"list"}, "レプリカを持つステートフルアプリケーションを実行する"},
		{"LC_ALL beats LANG", map[string]string{"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}, []string{"list"}, "Run a Replicated"},
		{"--lang beats env", map[string]string{"LANG": "en_US.UTF-8"}, []string{"list", "--lang", "ja"}, "タイトル"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := run(t, tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.want) || !strings.Contains(out, "mysql") {
				t.Errorf("output %q does not contain %q", out, tc.want)
			}
		})
	}
}

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows [][]string
		want string
	}{
		{"english", [][]string{
			{"ID", "STEPS", "TITLE"},
			{"mysql", "15", "Run a Replicated Stateful Application"},
			{"storage", "6", "StatefulSet storage"},
		}, "" +
			"ID       STEPS  TITLE\n" +
			"mysql    15     Run a Replicated Stateful Application\n" +
			"storage  6      StatefulSet storage\n"},
		{"japanese header wider than its cells", [][]string{
			{"ID", "ステップ数", "タイトル"},
			{"mysql", "15", "レプリカを持つステートフルアプリケーションを実行する"},
			{"storage", "6", "StatefulSet のストレージ"},
		}, "" +
			"ID       ステップ数  タイトル\n" +
			"mysql    15          レプリカを持つステートフルアプリケーションを実行する\n" +
			"storage  6           StatefulSet のストレージ\n"},
		{"japanese cells wider than the header", [][]string{
			{"ID", "名前", "数"},
			{"a", "ステートフル", "1"},
			{"bb", "Pod", "22"},
		}, "" +
			"ID  名前          数\n" +
			"a   ステートフル  1\n" +
			"bb  Pod           22\n"},
		{"no rows", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := table(tc.rows); got != tc.want {
				t.Errorf("table:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestListColumnsLineUp: every title starts in the same display column as
// the header's, in both languages.
func TestListColumnsLineUp(t *testing.T) {
	for _, lang := range []string{"ja", "en"} {
		t.Run(lang, func(t *testing.T) {
			out, _, err := run(t, nil, "list", "--lang", lang)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			header := map[string]string{"ja": "タイトル", "en": "TITLE"}[lang]
			col := func(line, text string) int {
				i := strings.Index(line, text)
				if i < 0 {
					t.Fatalf("%q not in %q", text, line)
				}
				return lipgloss.Width(line[:i])
			}
			want := col(lines[0], header)
			title := map[string]string{"ja": "レプリカを持つ", "en": "Run a Replicated"}[lang]
			if got := col(lines[1], title); got != want {
				t.Errorf("title starts in column %d, header in %d:\n%s", got, want, out)
			}
		})
	}
}

// TestLangFlagHelp: the --lang flag states one default, in the user's
// language, whatever --lang says on the command line.
func TestLangFlagHelp(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"english, no locale", nil, []string{"--help"}, `(default "en", from LC_ALL/LC_MESSAGES/LANG)`},
		{"english from --lang, japanese locale", map[string]string{"LANG": "ja_JP.UTF-8"}, []string{"--lang", "en", "--help"}, `(default "ja", from LC_ALL/LC_MESSAGES/LANG)`},
		{"japanese from LANG", map[string]string{"LANG": "ja_JP.UTF-8"}, []string{"--help"}, `（既定値は "ja"。LC_ALL/LC_MESSAGES/LANG から決まります）`},
		{"japanese from --lang", nil, []string{"--lang=ja", "--help"}, `（既定値は "en"。LC_ALL/LC_MESSAGES/LANG から決まります）`},
		{"subcommand", nil, []string{"list", "--help"}, `(default "en", from LC_ALL/LC_MESSAGES/LANG)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := run(t, tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			var line string
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "--lang string") {
					line = l
				}
			}
			if !strings.HasSuffix(line, tc.want) {
				t.Errorf("--lang help %q does not end with %q", line, tc.want)
			}
			if n := strings.Count(line, "default") + strings.Count(line, "既定"); n != 1 {
				t.Errorf("--lang help names a default %d times: %q", n, line)
			}
		})
	}
}

func TestCommandName(t *testing.T) {
	for _, tc := range []struct {
		argv0, name string
		complete    bool
	}{
		{"kubetutor", "kubetutor", false},
		{"/usr/local/bin/kubetutor", "kubetutor", false},
		{"./bin/kubetutor", "kubetutor", false},
		{"kt", "kubetutor", false},
		{"/home/me/bin/kubectl-tutor", "kubectl tutor", false},
		{"kubectl-tutor", "kubectl tutor", false},
		{"kubectl-my-tutor", "kubectl my tutor", false},
		{"kubectl-st_tutor", "kubectl st-tutor", false},
		{"kubectl_complete-tutor", "kubectl tutor", true},
		{"kubectl-", "kubetutor", false},
	} {
		t.Run(tc.argv0, func(t *testing.T) {
			name, complete := commandName(tc.argv0)
			if name != tc.name || complete != tc.complete {
				t.Errorf("commandName(%q) = %q, %v; want %q, %v", tc.argv0, name, complete, tc.name, tc.complete)
			}
		})
	}
}

// TestPluginHelp runs the command line as kubectl runs its plugin
// kubectl-tutor: help, usage and messages say `kubectl tutor`.
func TestPluginHelp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		argv0 string
		args  []string
		want  []string
	}{
		{"root", "/usr/local/bin/kubectl-tutor", []string{"--help"}, []string{
			"Usage:\n  kubectl tutor [flags]\n  kubectl tutor [command]\n",
			"help for kubectl tutor\n",
			`Use "kubectl tutor [command] --help" for more information about a command.`,
		}},
		{"subcommand", "kubectl-tutor", []string{"list", "--help"}, []string{
			"Usage:\n  kubectl tutor list [flags]\n",
		}},
		{"nested", "kubectl-tutor", []string{"lab", "up", "--help"}, []string{
			"Usage:\n  kubectl tutor lab up [flags]\n",
		}},
		{"japanese", "kubectl-tutor", []string{"show", "--help", "--lang", "ja"}, []string{
			"Usage:\n  kubectl tutor show LESSON [flags]\n",
		}},
		{"completion", "kubectl-tutor", []string{"completion", "--help"}, []string{
			"To complete `kubectl tutor …`, kubectl (1.26 or later) runs an executable named kubectl_complete-tutor",
			"Usage:\n  kubectl tutor completion [command]\n",
		}},
		{"kubetutor", "kubetutor", []string{"--help"}, []string{
			"Usage:\n  kubetutor [flags]\n  kubetutor [command]\n",
			`Use "kubetutor [command] --help"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runAs(t, tc.argv0, nil, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
			if tc.argv0 != "kubetutor" {
				for _, bad := range []string{"kubectl [", "kubectl list", "kubectl lab", "kubectl show", "kubectl completion [", "help for kubectl\n", "kubetutor ["} {
					if strings.Contains(out, bad) {
						t.Errorf("help says %q:\n%s", bad, out)
					}
				}
			}
		})
	}
}

func TestPluginMessages(t *testing.T) {
	_, _, err := runAs(t, "kubectl-tutor", nil, "show", "nope")
	if err == nil || !strings.Contains(err.Error(), "`kubectl tutor list`") {
		t.Errorf("err = %v, want a pointer to `kubectl tutor list`", err)
	}
	_, _, err = runAs(t, "kubetutor", nil, "show", "nope")
	if err == nil || !strings.Contains(err.Error(), "`kubetutor list`") {
		t.Errorf("err = %v, want a pointer to `kubetutor list`", err)
	}
}

// TestPluginCompletion: kubectl completes `kubectl tutor li` by running
// kubectl_complete-tutor li and reading cobra's __complete answer.
func TestPluginCompletion(t *testing.T) {
	out, _, err := runAs(t, "kubectl_complete-tutor", nil, "li")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "list\t") || !strings.Contains(out, "lint\t") || !strings.HasSuffix(out, ":4\n") {
		t.Errorf("completion of li:\n%s", out)
	}
}

func TestLintBuiltin(t *testing.T) {
	out, _, err := run(t, nil, "lint")
	if err != nil {
		t.Fatalf("built-in lessons have problems: %v\n%s", err, out)
	}
}

func TestLintBroken(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{
			"testdata/broken/lessons/demo/lesson.yaml:5: unknown action kind \"aply\" (did you mean \"apply\"?)",
			"testdata/broken/lessons/demo/lesson.yaml:9: unknown check field or kind \"timout\" (did you mean \"timeout\"?)",
			"testdata/broken/lessons/demo/lesson.yaml:10: step \"break-web\" has no heading in ja.md",
			"testdata/broken/lessons/demo/lesson.yaml:12: manifest testdata/broken/manifests/demo/missing.yaml does not exist",
		}},
		{"ja", []string{
			"testdata/broken/lessons/demo/lesson.yaml:5: 不明なアクションの種類 \"aply\" です（\"apply\" の間違いでは？）",
			"testdata/broken/lessons/demo/lesson.yaml:9: 不明なチェックのフィールドまたは種類 \"timout\" です（\"timeout\" の間違いでは？）",
			"testdata/broken/lessons/demo/lesson.yaml:10: ステップ \"break-web\" の見出しが ja.md にありません",
		}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			out, errOut, err := run(t, nil, "lint", "testdata/broken/lessons", "--lang", tc.lang)
			var exit ExitError
			if !errors.As(err, &exit) || exit.Code != 1 {
				t.Fatalf("err = %v, want exit status 1", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in\n%s", w, out)
				}
			}
			if errOut == "" {
				t.Error("no summary on stderr")
			}
		})
	}
}

func TestUnknownLesson(t *testing.T) {
	_, _, err := run(t, nil, "--lessons-dir", "testdata/broken/lessons", "list")
	if err == nil || !strings.Contains(err.Error(), "kubetutor lint") {
		t.Errorf("a broken lessons folder must fail with a pointer to lint, got %v", err)
	}
}

func TestBadLang(t *testing.T) {
	_, _, err := run(t, nil, "list", "--lang", "fr")
	if err == nil || !strings.Contains(err.Error(), "--lang ja") {
		t.Errorf("err = %v", err)
	}
}
