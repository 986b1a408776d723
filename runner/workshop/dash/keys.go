package dash

import (
	"charm.land/bubbles/v2/key"

	"github.com/kubetutor/kubetutor/runner/l10n"
)

// keyMap holds every binding of the dashboard; help texts come from the
// translator.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Detail, Back, Choose                    key.Binding
	Push, Reset, Deep, Checkpoint, Hide     key.Binding
	Help, Quit                              key.Binding
	Yes, All, No                            key.Binding
}

func newKeyMap(tr *l10n.Translator) keyMap {
	t := func(id string) string { return tr.T(id, nil) }
	return keyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", t("WSKeyUp"))),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", t("WSKeyDown"))),
		PageUp:     key.NewBinding(key.WithKeys("pgup"), key.WithHelp("PgUp", t("WSKeyPageUp"))),
		PageDown:   key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("PgDn", t("WSKeyPageDown"))),
		Top:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("Home/g", t("WSKeyTop"))),
		Bottom:     key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("End/G", t("WSKeyBottom"))),
		Detail:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("Enter", t("WSKeyDetail"))),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("Esc", t("WSKeyBack"))),
		Choose:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("Enter", t("WSKeyChoose"))),
		Push:       key.NewBinding(key.WithKeys("p"), key.WithHelp("p", t("WSKeyPush"))),
		Reset:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", t("WSKeyReset"))),
		Deep:       key.NewBinding(key.WithKeys("d"), key.WithHelp("d", t("WSKeyDeep"))),
		Checkpoint: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", t("WSKeyCheckpoint"))),
		Hide:       key.NewBinding(key.WithKeys("h"), key.WithHelp("h", t("WSKeyHide"))),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", t("WSKeyHelp"))),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", t("WSKeyQuit"))),
		Yes:        key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", t("WSKeyYes"))),
		All:        key.NewBinding(key.WithKeys("a", "A"), key.WithHelp("a", t("WSKeyAll"))),
		No:         key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", t("WSKeyNo"))),
	}
}

// tableKeys is the help.KeyMap of the learner table.
type tableKeys struct{ k *keyMap }

func (h tableKeys) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Detail, h.k.Checkpoint, h.k.Push, h.k.Reset, h.k.Deep, h.k.Hide, h.k.Help, h.k.Quit}
}

func (h tableKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{h.k.Up, h.k.Down, h.k.PageUp, h.k.PageDown, h.k.Top, h.k.Bottom},
		{h.k.Detail, h.k.Back, h.k.Checkpoint, h.k.Hide},
		{h.k.Push, h.k.Reset, h.k.Deep, h.k.Help, h.k.Quit},
	}
}

// detailKeys is the help.KeyMap of a learner's detail.
type detailKeys struct{ k *keyMap }

func (h detailKeys) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Back, h.k.Deep, h.k.Push, h.k.Reset, h.k.Up, h.k.Down, h.k.Help, h.k.Quit}
}

func (h detailKeys) FullHelp() [][]key.Binding { return tableKeys(h).FullHelp() }

// pickerKeys is the help.KeyMap of a step picker.
type pickerKeys struct{ k *keyMap }

func (h pickerKeys) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Up, h.k.Down, h.k.Choose, h.k.Back}
}

func (h pickerKeys) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }
