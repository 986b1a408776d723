package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// lister lists and watches one kind of object, typed or dynamic.
type lister struct {
	list  func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error)
	watch func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// snapshot is the current set of watched objects by name.
type snapshot map[string]runtime.Object

// watchUntil lists objects, then watches them, calling eval with the current
// set after the list and after every event, until eval says done, eval
// fails, or ctx ends. Watches that close (expired resource versions,
// restarts of the API server) are re-listed: a fresh list, never a resumed
// resourceVersion, so nothing that changed meanwhile is missed. Errors of
// the API are retried with a backoff bounded by ctx and handed to onErr, so
// a check can report them as its last mismatch; onErr(nil) says the API
// answered again after errors.
//
// While the API server cannot be reached (see Unreachable) — stopped,
// restarting — and until it answers a list again, retries come at most
// outageRetry apart instead of backing off to 5 s: a refused connection
// costs nothing, and the verdict should follow the API server's return
// within a second, not after a long backoff.
func watchUntil(ctx context.Context, l lister, selector string, eval func(snapshot) (bool, error), onErr func(error)) error {
	backoff := newBackoff()
	failing, down := false, false
	retry := func(err error) error {
		failing = true
		if _, ok := Unreachable(err); ok {
			down = true
		}
		onErr(err)
		limit := maxBackoff
		if down {
			limit = outageRetry
		}
		return backoff.wait(ctx, nil, limit)
	}
	for {
		objs, rv, err := l.list(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Forbidden is retried too: an API server that just restarted
			// answers Forbidden until its RBAC cache is warm (seen on the
			// lab). Real permission problems are caught by preflight, and
			// at the timeout the check names this error as its last
			// mismatch.
			if werr := retry(err); werr != nil {
				return werr
			}
			continue
		}
		if failing {
			failing, down = false, false
			onErr(nil)
		}
		snap := snapshot{}
		for _, o := range objs {
			if m, err := meta.Accessor(o); err == nil {
				snap[m.GetName()] = o
			}
		}
		if done, err := eval(snap); done || err != nil {
			return err
		}
		w, err := l.watch(ctx, metav1.ListOptions{LabelSelector: selector, ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if werr := retry(err); werr != nil {
				return werr
			}
			continue
		}
		done, err := consume(ctx, w, snap, eval)
		w.Stop()
		if done || err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		backoff.reset()
	}
}

// consume applies watch events to snap until eval is done or the watch ends.
func consume(ctx context.Context, w watch.Interface, snap snapshot, eval func(snapshot) (bool, error)) (bool, error) {
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false, nil
			}
			switch ev.Type {
			case watch.Error:
				return false, nil // re-list
			case watch.Bookmark:
				continue
			}
			m, err := meta.Accessor(ev.Object)
			if err != nil {
				continue
			}
			if ev.Type == watch.Deleted {
				delete(snap, m.GetName())
			} else {
				snap[m.GetName()] = ev.Object
			}
			if done, err := eval(snap); done || err != nil {
				return done, err
			}
		}
	}
}

const (
	// minBackoff is the first wait before a retry.
	minBackoff = 200 * time.Millisecond
	// maxBackoff bounds the wait between retries of an API that answers
	// with errors.
	maxBackoff = 5 * time.Second
	// outageRetry bounds the wait between retries while the API server
	// cannot be reached, so its return is noticed within this time.
	outageRetry = 500 * time.Millisecond
)

// backoff waits between retries: minBackoff doubling up to a cap, always
// bounded by the context, and cut short by a trigger (e.g. a watch event).
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: minBackoff} }

func (b *backoff) reset() { b.d = minBackoff }

// next returns the delay before the next retry, at most max, and doubles
// the following one (up to maxBackoff).
func (b *backoff) next(max time.Duration) time.Duration {
	d := min(b.d, max)
	if b.d *= 2; b.d > maxBackoff {
		b.d = maxBackoff
	}
	return d
}

// wait sleeps the next delay (at most max), unless ctx ends or trigger
// fires first.
func (b *backoff) wait(ctx context.Context, trigger <-chan struct{}, max time.Duration) error {
	t := time.NewTimer(b.next(max))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-trigger:
	}
	return nil
}

// retryWhileDown runs fn until it returns something else than an
// unreachable API server (see outage), retrying at most outageRetry apart,
// or ctx ends (then fn's last error is returned).
func retryWhileDown(ctx context.Context, fn func() error) error {
	b := newBackoff()
	var o outage
	for {
		err := fn()
		if !o.ongoing(err) || ctx.Err() != nil {
			return err
		}
		if b.wait(ctx, nil, outageRetry) != nil {
			return err
		}
	}
}

// startingGrace is how long after the API server was last unreachable its
// answers of a server still starting (see statusCode) count as the same
// outage.
const startingGrace = 30 * time.Second

// outage follows an API server through an outage for code that retries:
// unreachable errors, then, for startingGrace after them, the 403, 401,
// 429 and 500 answers of a server whose caches are still cold (seen on the
// lab after every restart: Forbidden for a second or two).
type outage struct{ last time.Time }

// ongoing reports whether err is (still) the API server being away.
func (o *outage) ongoing(err error) bool {
	if _, ok := Unreachable(err); ok {
		o.last = time.Now()
		return true
	}
	return !o.last.IsZero() && statusCode(err) != 0 && time.Since(o.last) < startingGrace
}

// Unreachable reports whether err means the API server could not be
// reached or is not serving — refused or dropped connections, no answer,
// a server shutting down or starting up — rather than an answer about the
// request. The reason is a short technical phrase for messages
// ("connection refused"), in the words the operating system and HTTP use.
func Unreachable(err error) (reason string, ok bool) {
	if err == nil {
		return "", false
	}
	var ne net.Error
	switch {
	case utilnet.IsConnectionRefused(err):
		return "connection refused", true
	case utilnet.IsConnectionReset(err):
		return "connection reset", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host", true
	case utilnet.IsHTTP2ConnectionLost(err), utilnet.IsProbableEOF(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed", true
	case apierrors.IsServiceUnavailable(err):
		return "503 Service Unavailable", true
	case errors.As(err, &ne) && ne.Timeout(), apierrors.IsTimeout(err), apierrors.IsServerTimeout(err):
		return "no answer", true
	case apierrors.IsTooManyRequests(err) && strings.Contains(err.Error(), "shutting down"):
		return "shutting down", true
	}
	// Libraries that wrap errors with %v (kubectl's drain) keep only the
	// words of the operating system's error.
	msg := err.Error()
	for _, w := range []string{"connection refused", "connection reset", "no route to host", "http2: client connection lost"} {
		if strings.Contains(msg, w) {
			return w, true
		}
	}
	return "", false
}

// listWatcher is what a typed client-go client of one kind offers.
type listWatcher[L runtime.Object] interface {
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// typedLister adapts a typed client (pods, claims, nodes, slices) to a
// lister: its list's items become runtime.Objects.
func typedLister[L runtime.Object](c listWatcher[L]) lister {
	return lister{
		list: func(ctx context.Context, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := c.List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			items, err := meta.ExtractList(l)
			if err != nil {
				return nil, "", err
			}
			rv := ""
			if lm, err := meta.ListAccessor(l); err == nil {
				rv = lm.GetResourceVersion()
			}
			return items, rv, nil
		},
		watch: c.Watch,
	}
}

// podsLister lists and watches the pods of the lesson's namespace.
func (e *Env) podsLister() lister {
	return typedLister(e.Cluster.Client.CoreV1().Pods(e.Namespace()))
}

// pvcsLister lists and watches the claims of the lesson's namespace.
func (e *Env) pvcsLister() lister {
	return typedLister(e.Cluster.Client.CoreV1().PersistentVolumeClaims(e.Namespace()))
}

// nodesLister lists and watches nodes.
func (e *Env) nodesLister() lister {
	return typedLister(e.Cluster.Client.CoreV1().Nodes())
}

// endpointSlicesLister lists and watches the EndpointSlices of a service.
func (e *Env) endpointSlicesLister() lister {
	return typedLister(e.Cluster.Client.DiscoveryV1().EndpointSlices(e.Namespace()))
}

// dynamicLister lists and watches any kind through the dynamic client.
func (e *Env) dynamicLister(gvr schema.GroupVersionResource, namespaced bool) lister {
	r := e.Cluster.Dynamic.Resource(gvr)
	get := func() dynamic.ResourceInterface {
		if namespaced {
			return r.Namespace(e.Namespace())
		}
		return r
	}
	return lister{
		list: func(ctx context.Context, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := get().List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			out := make([]runtime.Object, len(l.Items))
			for i := range l.Items {
				out[i] = &l.Items[i]
			}
			return out, l.GetResourceVersion(), nil
		},
		watch: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return get().Watch(ctx, o) },
	}
}

// mismatch remembers the last concrete mismatch a check saw and since when,
// and reports each new one.
type mismatch struct {
	msg    Msg
	hint   Msg
	since  time.Time
	diags  []Msg
	report Reporter
	now    func() time.Time
	// downSince is when the API server stopped answering (zero while it
	// answers).
	downSince time.Time
}

func newMismatch(env *Env, report Reporter) *mismatch {
	if report == nil {
		report = func(Msg) {}
	}
	return &mismatch{report: report, now: env.now}
}

// set records the current mismatch; a changed one restarts the clock and
// is reported.
func (m *mismatch) set(msg, hint Msg) {
	if !msg.Equal(m.msg) {
		m.msg, m.since = msg, m.now()
		m.report(msg)
	}
	m.hint = hint
}

// diagnose records a recognised failure signature (once).
func (m *mismatch) diagnose(d Msg) {
	for _, x := range m.diags {
		if x.Equal(d) {
			return
		}
	}
	m.diags = append(m.diags, d)
	m.report(d)
}

// failure turns the end of a wait into a *Failure: on timeout it names the
// last mismatch (never a bare "context deadline exceeded").
func (m *mismatch) failure(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if f, ok := err.(*Failure); ok {
		return f
	}
	if ctx.Err() == nil || (err != ctx.Err() && !isCtxErr(err)) {
		hint := Msg{}
		if apierrors.IsForbidden(err) {
			hint = M("HintForbidden")
		}
		return &Failure{Msg: M("StepError", "Error", err.Error()), Hint: hint, Err: err, Diagnoses: m.diags}
	}
	f := &Failure{Msg: m.msg, Hint: m.hint, Diagnoses: m.diags, Err: ctx.Err()}
	if f.Msg.IsZero() {
		f.Msg = M("CheckNothingSeen")
	}
	if ctx.Err() == context.DeadlineExceeded {
		f.TimedOut = true
		if dl, ok := ctx.Deadline(); ok && !m.since.IsZero() {
			f.For = dl.Sub(m.since)
		}
	} else {
		f.Msg, f.Hint = M("StepCanceled"), Msg{}
	}
	return f
}

func isCtxErr(err error) bool {
	return err == context.Canceled || err == context.DeadlineExceeded
}

// apiError records an error of the API server as the current mismatch:
// while the API server cannot be reached, since when and why (the time
// stays that of the first failure until it answers again); otherwise its
// answer. apiError(nil) says the API server answers again.
func (m *mismatch) apiError(err error) {
	if err == nil {
		m.downSince = time.Time{}
		return
	}
	reason, ok := Unreachable(err)
	if !ok && !m.downSince.IsZero() {
		// An API server that just came back answers Forbidden, 500 or 429
		// for a moment, until its caches are warm (seen on the lab after
		// every restart): that is still the outage, not the user's
		// permissions.
		if code := statusCode(err); code != 0 {
			reason, ok = fmt.Sprintf("starting up: %d %s", code, http.StatusText(code)), true
		}
	}
	if ok {
		if m.downSince.IsZero() {
			m.downSince = m.now()
		}
		m.set(M("StateAPIUnreachable", "Since", clock(m.downSince), "Reason", reason), M("HintAPIUnreachable"))
		return
	}
	hint := M("HintAPI")
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		hint = M("HintForbidden")
	}
	m.set(M("StateAPIError", "Error", oneLine(err.Error())), hint)
}

// statusCode returns the HTTP status of an API error that an API server
// answers while it starts (401, 403, 429, 500), 0 for others.
func statusCode(err error) int {
	switch {
	case apierrors.IsForbidden(err):
		return http.StatusForbidden
	case apierrors.IsUnauthorized(err):
		return http.StatusUnauthorized
	case apierrors.IsTooManyRequests(err):
		return http.StatusTooManyRequests
	case apierrors.IsInternalError(err):
		return http.StatusInternalServerError
	}
	return 0
}
