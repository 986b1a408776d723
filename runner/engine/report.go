package engine

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/runner/step"
)

// FailureText renders a failure in the user's language: the timeout and the
// last concrete mismatch, for how long, then the hint and the diagnoses on
// their own lines (joined by "\n").
func FailureText(tr step.Translator, f *step.Failure) string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	if f.TimedOut {
		b.WriteString(tr.T("TimedOut", map[string]any{"After": f.After.String()}) + " ")
	}
	b.WriteString(f.Msg.Text(tr))
	if f.For >= time.Second {
		b.WriteString(" " + tr.T("ForDuration", map[string]any{"For": f.For.Round(time.Second).String()}))
	}
	if !f.Hint.IsZero() {
		b.WriteString("\n" + tr.T("HintPrefix", nil) + " " + f.Hint.Text(tr))
	}
	for _, d := range f.Diagnoses {
		b.WriteString("\n" + tr.T("DiagPrefix", nil) + " " + d.Text(tr))
	}
	return b.String()
}

// CheckName is the check's name as reports show it.
func CheckName(tr step.Translator, c CheckResult) string {
	if c.Name != "" {
		return c.Name
	}
	return c.Desc.Text(tr)
}

// CheckMessage is the message a report shows for a check: the failure,
// the reason it was skipped or unavailable, or nothing.
func CheckMessage(tr step.Translator, c CheckResult) string {
	if c.Failure != nil {
		return FailureText(tr, c.Failure)
	}
	return c.Reason.Text(tr)
}

// jsonReport is the documented JSON shape of `run --output json`.
type jsonReport struct {
	Lesson string     `json:"lesson"`
	Lang   string     `json:"lang"`
	Passed bool       `json:"passed"`
	Steps  []jsonStep `json:"steps"`
}

type jsonStep struct {
	ID         string      `json:"id"`
	Status     Status      `json:"status"`
	DurationMS int64       `json:"duration_ms"`
	Checks     []jsonCheck `json:"checks"`
}

type jsonCheck struct {
	Name       string `json:"name"`
	Status     Status `json:"status"`
	Message    string `json:"message"`
	DurationMS int64  `json:"duration_ms"`
}

// reportSteps flattens a result into report steps: "preflight" first (its
// items as checks, warnings as passed with their message), then the
// lesson's steps (a failed action appears as the first check, and a step
// without checks gets one entry carrying its reason), then "aftermath"
// when clean-up ran.
func reportSteps(tr step.Translator, r *Result) []jsonStep {
	var out []jsonStep
	if len(r.Preflight) > 0 {
		js := jsonStep{ID: "preflight", Status: Passed}
		for _, it := range r.Preflight {
			st := it.Status
			msg := it.Msg.Text(tr)
			if !it.Hint.IsZero() {
				msg += "\n" + tr.T("HintPrefix", nil) + " " + it.Hint.Text(tr)
			}
			if st == Warning {
				st = Passed
				msg = tr.T("WarningPrefix", nil) + " " + msg
			}
			if st == Failed {
				js.Status = Failed
			}
			js.DurationMS += it.Duration.Milliseconds()
			js.Checks = append(js.Checks, jsonCheck{Name: it.Name.Text(tr), Status: st, Message: msg, DurationMS: it.Duration.Milliseconds()})
		}
		out = append(out, js)
	}
	for _, s := range r.Steps {
		js := jsonStep{ID: s.ID, Status: s.Status, DurationMS: s.Duration.Milliseconds(), Checks: []jsonCheck{}}
		if s.Action.Failure != nil {
			js.Checks = append(js.Checks, jsonCheck{Name: s.Action.Desc.Text(tr), Status: Failed, Message: FailureText(tr, s.Action.Failure), DurationMS: s.Action.Duration.Milliseconds()})
		}
		for _, c := range s.Checks {
			js.Checks = append(js.Checks, jsonCheck{Name: CheckName(tr, c), Status: c.Status, Message: CheckMessage(tr, c), DurationMS: c.Duration.Milliseconds()})
		}
		if len(js.Checks) == 0 && !s.Reason.IsZero() {
			js.Checks = append(js.Checks, jsonCheck{Name: s.ID, Status: s.Status, Message: s.Reason.Text(tr)})
		}
		out = append(out, js)
	}
	if a := r.Aftermath; a != nil {
		js := jsonStep{ID: "aftermath", Status: Passed, DurationMS: a.Duration.Milliseconds(), Checks: []jsonCheck{}}
		js.Checks = append(js.Checks, jsonCheck{Name: tr.T("AftermathUncordon", nil), Status: Passed,
			Message: tr.T("AftermathUncordoned", map[string]any{"Nodes": strings.Join(a.Uncordoned, ", "), "Count": len(a.Uncordoned)})})
		if a.CleanupSkipped {
			js.Checks = append(js.Checks, jsonCheck{Name: tr.T("AftermathCleanup", nil), Status: Skipped, Message: tr.T("AftermathCleanupSkipped", nil)})
		} else {
			js.Checks = append(js.Checks, jsonCheck{Name: tr.T("AftermathCleanup", nil), Status: Passed,
				Message: tr.T("AftermathDeleted", map[string]any{"Count": len(a.Deleted), "Objects": strings.Join(a.Deleted, ", ")})})
		}
		for _, f := range a.Errors {
			js.Status = Failed
			js.Checks = append(js.Checks, jsonCheck{Name: tr.T("AftermathError", nil), Status: Failed, Message: FailureText(tr, f)})
		}
		out = append(out, js)
	}
	return out
}

// WriteJSON writes the result as one JSON object:
// {"lesson","lang","passed","steps":[{"id","status","duration_ms",
// "checks":[{"name","status","message","duration_ms"}]}]}.
func WriteJSON(w io.Writer, tr step.Translator, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonReport{Lesson: r.Lesson, Lang: r.Lang, Passed: r.Passed, Steps: reportSteps(tr, r)})
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func secs(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// WriteJUnit writes the result as JUnit XML: one testsuite per step, one
// testcase per check; unavailable and skipped checks are <skipped>.
func WriteJUnit(w io.Writer, tr step.Translator, r *Result) error {
	all := junitSuites{Name: r.Lesson + " (" + r.Lang + ")", Time: secs(r.Duration.Milliseconds())}
	for _, s := range reportSteps(tr, r) {
		su := junitSuite{Name: r.Lesson + "/" + s.ID, Time: secs(s.DurationMS)}
		for _, c := range s.Checks {
			tc := junitCase{Name: c.Name, Classname: r.Lesson + "." + s.ID, Time: secs(c.DurationMS)}
			first, _, _ := strings.Cut(c.Message, "\n")
			switch c.Status {
			case Failed:
				tc.Failure = &junitMessage{Message: first, Body: c.Message}
				su.Failures++
			case Skipped, Unavailable:
				tc.Skipped = &junitMessage{Message: string(c.Status) + ": " + first}
				su.Skipped++
			}
			su.Tests++
			su.Cases = append(su.Cases, tc)
		}
		all.Tests += su.Tests
		all.Failures += su.Failures
		all.Skipped += su.Skipped
		all.Suites = append(all.Suites, su)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
