package app

import (
	"fmt"
	"os"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/runner/render"
)

// newShowCommand prints a lesson rendered for the terminal, like glow does
// for a file: title, introduction, every section, step headings marked
// "▶ Step n/N" with what each step does and checks. Plain text when stdout
// is not a terminal; bold and underline without colours when NO_COLOR is
// set (render.PickStyle).
func newShowCommand(env *Env) *cobra.Command {
	var width int
	cmd := &cobra.Command{
		Use:   "show LESSON",
		Short: env.Tr().T("CLIShowShort", nil),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := env.FindLesson(args[0])
			if err != nil {
				return err
			}
			out := env.Streams.Out
			f, isFile := out.(*os.File)
			isTTY := isFile && term.IsTerminal(f.Fd())
			if width <= 0 {
				width = 80
				if isTTY {
					if w, _, err := term.GetSize(f.Fd()); err == nil && w > 0 {
						width = w
					}
				}
			}
			dark := true
			if isTTY && term.IsTerminal(os.Stdin.Fd()) {
				dark = lipgloss.HasDarkBackground(os.Stdin, f)
			}
			r, err := render.New(width, render.PickStyle(isTTY, dark, env.Getenv))
			if err != nil {
				return err
			}
			tr := env.Tr()
			text, err := r.Render(render.LessonMarkdown(l, env.Lang, render.Decor(tr, true)))
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(out, text)
			return err
		},
	}
	cmd.Flags().IntVar(&width, "width", 0, env.Tr().T("FlagWidth", nil))
	return cmd
}
