package engine

import (
	"sort"
	"time"

	"github.com/kubetutor/kubetutor/runner/step"
)

var (
	failure     = step.Failure{Msg: step.M("StatePodMissing", "Pod", "x"), Hint: step.M("HintExists"), TimedOut: true, After: time.Second}
	reasonNodes = step.M("ReasonNodes", "Need", 2, "Have", 1)
)

func sortStrings(s []string) { sort.Strings(s) }
