package render

import (
	"fmt"
	"strings"

	"github.com/kubetutor/kubetutor/runner/lesson"
)

// Translator translates message IDs (l10n.Translator satisfies it).
type Translator interface {
	T(id string, data map[string]any) string
}

// DescribeAction says in a few words what a step's action does, e.g.
// "apply mysql/statefulset.yaml".
func DescribeAction(tr Translator, a lesson.Action) string {
	switch {
	case a.Apply != nil:
		return tr.T("ActApply", map[string]any{"Files": strings.Join(a.Apply.Files, ", ")})
	case a.Wait != nil:
		return tr.T("ActWait", nil)
	case a.Exec != nil:
		return tr.T("ActExec", map[string]any{"Command": strings.Join(a.Exec.Command, " "), "Pod": podContainer(a.Exec.Pod, a.Exec.Container)})
	case a.DeletePod != nil:
		return tr.T("ActDeletePod", map[string]any{"Pod": a.DeletePod.Name})
	case a.Cordon != nil:
		return nodeOp(tr, "ActCordon", a.Cordon)
	case a.Drain != nil:
		return nodeOp(tr, "ActDrain", a.Drain)
	case a.Uncordon != nil:
		if a.Uncordon.Pod == "" && a.Uncordon.Node == "" {
			return tr.T("ActUncordonAll", nil)
		}
		return nodeOp(tr, "ActUncordon", a.Uncordon)
	case a.Scale != nil:
		return tr.T("ActScale", map[string]any{"Name": a.Scale.StatefulSet, "Replicas": a.Scale.Replicas})
	case a.SQL != nil:
		return tr.T("ActSQL", map[string]any{"Target": sqlTarget(tr, a.SQL.SQLTarget), "Count": len(a.SQL.Statements)})
	case a.DeletePVCs != nil:
		return tr.T("ActDeletePVCs", map[string]any{"What": names(a.DeletePVCs.Names, a.DeletePVCs.Selector)})
	case a.Cleanup != nil:
		return tr.T("ActCleanup", nil)
	}
	return a.Kind()
}

// DescribeCheck says in a few words what a check waits for, e.g.
// "mysql-0, mysql-1, mysql-2 Ready, in order".
func DescribeCheck(tr Translator, c lesson.Check) string {
	switch {
	case c.PodsReady != nil:
		p := c.PodsReady
		what := names(p.Names, p.Selector)
		if p.Count > 0 {
			what = fmt.Sprintf("%d × %s", p.Count, what)
		}
		if p.InOrder {
			return tr.T("ChkPodsReadyInOrder", map[string]any{"Pods": what})
		}
		return tr.T("ChkPodsReady", map[string]any{"Pods": what})
	case c.PodCondition != nil:
		p := c.PodCondition
		if p.Container != "" {
			return tr.T("ChkContainerReady", map[string]any{"Pod": p.Pod + "/" + p.Container, "Status": p.Status})
		}
		typ := p.Type
		if typ == "" {
			typ = "Ready"
		}
		return tr.T("ChkPodCondition", map[string]any{"Pod": p.Pod, "Type": typ, "Status": p.Status})
	case c.Exists != nil:
		return tr.T("ChkExists", map[string]any{"Kind": c.Exists.Kind, "Name": names([]string{c.Exists.Name}, c.Exists.Selector)})
	case c.Absent != nil:
		return tr.T("ChkAbsent", map[string]any{"Kind": c.Absent.Kind, "Name": names([]string{c.Absent.Name}, c.Absent.Selector)})
	case c.NodeChanged != nil:
		return tr.T("ChkNodeChanged", map[string]any{"Pod": c.NodeChanged.Pod})
	case c.PVCs != nil:
		p := c.PVCs
		data := map[string]any{"What": names(p.Names, p.Selector), "Phase": p.Phase}
		if p.Count != nil && *p.Count >= 0 {
			data["Count"] = *p.Count
			return tr.T("ChkPVCsCount", data)
		}
		return tr.T("ChkPVCs", data)
	case c.SameUID != nil:
		return tr.T("ChkSameUID", map[string]any{"Kind": c.SameUID.Kind, "Name": c.SameUID.Name})
	case c.SQLContains != nil:
		s := c.SQLContains
		return tr.T("ChkSQLContains", map[string]any{"Target": sqlTarget(tr, s.SQLTarget), "Contains": s.Contains})
	case c.ValuesSeen != nil:
		v := c.ValuesSeen
		data := map[string]any{"Query": v.Query, "Target": sqlTarget(tr, v.SQLTarget), "Include": strings.Join(v.Include, ", "), "Exclude": strings.Join(v.Exclude, ", ")}
		switch {
		case len(v.Include) > 0 && len(v.Exclude) > 0:
			return tr.T("ChkValuesSeenBoth", data)
		case len(v.Exclude) > 0:
			return tr.T("ChkValuesSeenExclude", data)
		}
		return tr.T("ChkValuesSeenInclude", data)
	case c.RestartsUnchanged != nil:
		return tr.T("ChkRestartsUnchanged", map[string]any{"Pod": podContainer(c.RestartsUnchanged.Pod, c.RestartsUnchanged.Container)})
	case c.Uncordoned != nil:
		return tr.T("ChkUncordoned", nil)
	}
	return c.Kind()
}

// StepPlan is markdown describing what a step does and checks, for the
// text under its heading: a quoted list, one item for the action and one
// per check. (glamour drops hard line breaks, hence a list.)
func StepPlan(tr Translator, s lesson.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "> - **%s** %s", tr.T("StepDoes", nil), DescribeAction(tr, s.Action))
	for _, c := range s.Checks {
		fmt.Fprintf(&b, "\n> - **%s** %s", tr.T("StepChecks", nil), DescribeCheck(tr, c))
	}
	return b.String()
}

// StepHeading formats "Step 3/15: title" in the translator's language.
func StepHeading(tr Translator, n, total int, title string) string {
	return tr.T("StepHeading", map[string]any{"N": n, "Total": total, "Title": title})
}

// Decor returns the StepDecor of the tutor: numbered headings and, when
// plan is true, what each step does and checks under its heading.
func Decor(tr Translator, plan bool) StepDecor {
	return func(n, total int, s lesson.Step, title string) (string, string) {
		body := ""
		if plan {
			body = StepPlan(tr, s)
		}
		return StepHeading(tr, n, total, title), body
	}
}

func nodeOp(tr Translator, id string, op *lesson.NodeOp) string {
	if op.Node != "" {
		return tr.T(id+"Node", map[string]any{"Node": op.Node})
	}
	return tr.T(id, map[string]any{"Pod": op.Pod})
}

func sqlTarget(tr Translator, t lesson.SQLTarget) string {
	if t.Service != "" {
		return tr.T("SQLViaService", map[string]any{"Service": t.Service})
	}
	return t.Pod
}

func podContainer(pod, container string) string {
	if container == "" {
		return pod
	}
	return pod + "/" + container
}

func names(list []string, selector string) string {
	var nn []string
	for _, n := range list {
		if n != "" {
			nn = append(nn, n)
		}
	}
	if len(nn) > 0 {
		return strings.Join(nn, ", ")
	}
	return selector
}
