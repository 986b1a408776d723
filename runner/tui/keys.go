package tui

import (
	"charm.land/bubbles/v2/key"

	"github.com/kubetutor/kubetutor/runner/l10n"
)

// keyMap holds every binding; help texts come from the translator and are
// rebuilt when the language changes.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	NextSection, PrevSection                key.Binding
	Run, Open, Back                         key.Binding
	Lang, Help, Quit                        key.Binding
	Skip, Reset, Pane, Panes, Yes, No       key.Binding
	Copy                                    key.Binding
	// Help-only bindings: Sections sums up ←/→ in the short help, Mouse
	// says the wheel scrolls. Update never matches them.
	Sections, Mouse key.Binding
}

func newKeyMap(tr *l10n.Translator) keyMap {
	t := func(id string) string { return tr.T(id, nil) }
	return keyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", t("KeyUp"))),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", t("KeyDown"))),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("PgUp/b", t("KeyPageUp"))),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "f"), key.WithHelp("PgDn/f", t("KeyPageDown"))),
		Top:         key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("Home/g", t("KeyTop"))),
		Bottom:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("End/G", t("KeyBottom"))),
		NextSection: key.NewBinding(key.WithKeys("right", "n"), key.WithHelp("→/n", t("KeyNextSection"))),
		PrevSection: key.NewBinding(key.WithKeys("left", "p"), key.WithHelp("←/p", t("KeyPrevSection"))),
		Run:         key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("Enter", t("KeyRun"))),
		Open:        key.NewBinding(key.WithKeys("enter", "space", "right"), key.WithHelp("Enter", t("KeyOpen"))),
		Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("Esc", t("KeyBack"))),
		Lang:        key.NewBinding(key.WithKeys("L"), key.WithHelp("L", t("KeyLang"))),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", t("KeyHelp"))),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", t("KeyQuit"))),
		Skip:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", t("KeySkip"))),
		Reset:       key.NewBinding(key.WithKeys("R"), key.WithHelp("R", t("KeyReset"))),
		Pane:        key.NewBinding(key.WithKeys("tab"), key.WithHelp("Tab", t("KeyPane"))),
		Panes:       key.NewBinding(key.WithKeys("v"), key.WithHelp("v", t("KeyPanes"))),
		Copy:        key.NewBinding(key.WithKeys("c"), key.WithHelp("c", t("KeyCopy"))),
		Yes:         key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", t("KeyYes"))),
		No:          key.NewBinding(key.WithKeys("n", "N"), key.WithHelp("n", t("KeyNo"))),
		Sections:    key.NewBinding(key.WithKeys("help:sections"), key.WithHelp("←/→", t("KeySections"))),
		Mouse:       key.NewBinding(key.WithKeys("help:wheel"), key.WithHelp(t("KeyWheel"), t("KeyMouse"))),
	}
}

// lessonKeys is the help.KeyMap of the lesson view; live adds the keys
// that act on the cluster.
type lessonKeys struct {
	k    *keyMap
	live bool
}

func (h lessonKeys) ShortHelp() []key.Binding {
	if h.live {
		// c (copy) is named where the command is: the step's panel.
		return []key.Binding{h.k.Sections, h.k.Run, h.k.Skip, h.k.Lang, h.k.Help, h.k.Quit}
	}
	return []key.Binding{h.k.Sections, h.k.Run, h.k.Lang, h.k.Help, h.k.Quit}
}

func (h lessonKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{h.k.Up, h.k.Down, h.k.PageUp, h.k.PageDown, h.k.Top, h.k.Bottom, h.k.Mouse},
		{h.k.NextSection, h.k.PrevSection, h.k.Run, h.k.Skip, h.k.Reset, h.k.Back},
		{h.k.Copy, h.k.Pane, h.k.Panes, h.k.Lang, h.k.Help, h.k.Quit},
	}
}

// listKeys is the help.KeyMap of the lesson list.
type listKeys struct{ k *keyMap }

func (h listKeys) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Up, h.k.Down, h.k.Open, h.k.Lang, h.k.Help, h.k.Quit}
}

func (h listKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{h.k.Up, h.k.Down, h.k.Open}, {h.k.Lang, h.k.Help, h.k.Quit}}
}
