//go:build browser

package web

// The page in a real browser (runner/browsertest: Debian's chromium,
// headless, driven by chromedp) fed by a fake Source; the workshop's e2e
// test loads it from `workshop serve` on the lab. `make unit` runs this
// file (build tag browser). The screenshots land in testdata/artifacts/
// (git-ignored); the log says where.

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubetutor/kubetutor/runner/browsertest"
	"github.com/kubetutor/kubetutor/runner/workshop"
)

// rows are the table's rows as "name:state", top to bottom.
const rowsJS = `[...document.querySelectorAll('tr.learner')].map(r => r.dataset.name + ':' + r.dataset.state)`

func TestBrowserPage(t *testing.T) {
	start := time.Now()
	f, h := server(t, Options{Token: "t0ken"})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close) // after the browser's cleanup (LIFO): its stream must end first
	ctx := browsertest.Start(t, 60*time.Second)
	t.Logf("chromium up in %v", time.Since(start).Round(time.Millisecond))

	// The rows, in order, with the checkpoint from the URL; the event
	// stream connected.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/?lang=en&checkpoint=7&token=t0ken"),
		chromedp.WaitVisible(`#conn[data-live="true"]`),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.notReloaded = true`)(ctx, tg)
			return err
		}),
	))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](rowsJS))
	must(t, err)
	want := []string{"farah:failing", "ben:stuck", "hana:stuck", "emre:not-started", "leo:working", "jun:working",
		"aiko:reached", "dana:reached", "ivan:reached", "kira:reached", "goro:reached", "chen:reached"}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %v\nwant %v", rows, want)
	}

	// A change the Source pushes shows within 2 s, without a reload.
	f.Update("emre", func(l *workshop.Learner) {
		l.State, l.StepIndex, l.Step, l.Since = workshop.StateFailing, 1, "apply-configmap", time.Now()
		l.LastWarning, l.LastWarningAt = "ErrImagePull: kubetutor.local/mariadb:10.12 not found", time.Now()
	})
	changed := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err = chromedp.Do(wctx, chromedp.WaitVisible(`tr.learner[data-name="emre"][data-state="failing"]`))
	cancel()
	if err != nil {
		t.Fatalf("the change did not show within 2 s: %v", err)
	}
	t.Logf("change shown after %v", time.Since(changed).Round(time.Millisecond))
	still, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded === true`))
	must(t, err)
	rows, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](rowsJS))
	must(t, err)
	if !still || rows[0] != "emre:failing" {
		t.Errorf("after the change: reloaded=%v rows %v", !still, rows)
	}

	// A row expands to the learner's timeline.
	must(t, chromedp.Do(ctx, chromedp.Click(`tr.learner[data-name="ben"]`), chromedp.WaitVisible(`tr.detail ol li`)))
	timeline, err := chromedp.Run(ctx, chromedp.Text(`tr.detail`))
	must(t, err)
	for _, s := range []string{"⇢  2 Create the Services", "pushed by the instructor", "?  4 Write to the primary", "BackOff: Back-off restarting", "demo-1  Init:CrashLoopBackOff"} {
		if !strings.Contains(timeline, s) {
			t.Errorf("timeline lacks %q:\n%s", s, timeline)
		}
	}
	browsertest.Screenshot(t, ctx, filepath.Join("testdata", "artifacts"), "workshop-en")

	// The projector in Japanese: names hidden.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/?lang=ja&projector=1&token=t0ken"),
		chromedp.WaitVisible(`#conn[data-live="true"]`),
	))
	text, err := chromedp.Run(ctx, chromedp.Text(`body`))
	must(t, err)
	if !strings.Contains(text, "受講者 02") || strings.Contains(text, "ben") || !strings.Contains(text, "StatefulSet を起動する") {
		t.Errorf("projector page:\n%s", text)
	}
	browsertest.Screenshot(t, ctx, filepath.Join("testdata", "artifacts"), "workshop-ja-projector")
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
