package tui

import (
	"bufio"
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Live is what the live panes watch: the lesson's pods (by its selector)
// and events in its namespace, the logs of the pod a step waits on, and a
// one-value query through a service once a second.
type Live struct {
	Client    kubernetes.Interface
	Namespace string
	// Selector is the lesson's label selector (lesson.yaml's selector).
	Selector string
	// Read runs a one-value query on a new connection to target and says
	// which pod answered (step.ReadValue).
	Read func(ctx context.Context, target step.SQLTarget, query string) (pod, value string, err error)
}

// readEvery is how often the read-service pane queries.
const readEvery = time.Second

// Live messages: a stream goroutine sends them on the lesson's channel; a
// re-armed waitLive command hands them to Update one at a time.
type (
	podsMsg   struct{ pods []*corev1.Pod }
	eventsMsg struct{ events []*corev1.Event }
	readMsg   struct {
		at         time.Time
		pod, value string
		err        error
	}
	logMsg struct {
		pod  string
		line string
		err  error
	}
	// liveClosedMsg: every stream of a lesson stopped.
	liveClosedMsg struct{ gen int }
	liveMsg       struct {
		gen int
		msg tea.Msg
	}
	// tickMsg redraws the panes' ages once a second while streams run.
	tickMsg struct{ gen int }
)

// streams runs the watches of one lesson until its context ends. Logs
// follow one pod at a time (the object the current step waits on).
type streams struct {
	live  *Live
	read  *step.SQLTarget
	query string
	out   chan liveMsg
	gen   int
	wg    sync.WaitGroup

	mu        sync.Mutex
	logCancel context.CancelFunc
	logPod    string
	ctx       context.Context
}

// startStreams starts the pod and event informers and the read loop; they
// stop when ctx ends, and out is closed once all of them have.
func startStreams(ctx context.Context, live *Live, gen int, read *step.SQLTarget, query string) *streams {
	s := &streams{live: live, read: read, query: query, out: make(chan liveMsg, 256), gen: gen, ctx: ctx}
	s.wg.Add(2)
	go s.informers(ctx)
	go s.readLoop(ctx)
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		if s.logCancel != nil {
			s.logCancel()
		}
		s.mu.Unlock()
		s.wg.Wait()
		close(s.out)
	}()
	return s
}

func (s *streams) send(ctx context.Context, m tea.Msg) {
	select {
	case s.out <- liveMsg{gen: s.gen, msg: m}:
	case <-ctx.Done():
	}
}

// wait is the re-armed command that hands the next live message to Update.
func (s *streams) wait() tea.Cmd {
	return func() tea.Msg {
		m, ok := <-s.out
		if !ok {
			return liveClosedMsg{gen: s.gen}
		}
		return m
	}
}

// informers watches the lesson's pods (by selector) and the namespace's
// events, sending a fresh sorted snapshot after every change.
func (s *streams) informers(ctx context.Context) {
	defer s.wg.Done()
	ns, sel := s.live.Namespace, s.live.Selector
	pf := informers.NewSharedInformerFactoryWithOptions(s.live.Client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
	ef := informers.NewSharedInformerFactoryWithOptions(s.live.Client, 0, informers.WithNamespace(ns))
	pods := pf.Core().V1().Pods().Informer()
	events := ef.Core().V1().Events().Informer()
	podsChanged := func() {
		var out []*corev1.Pod
		for _, o := range pods.GetStore().List() {
			if p, ok := o.(*corev1.Pod); ok {
				out = append(out, p)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		s.send(ctx, podsMsg{pods: out})
	}
	eventsChanged := func() {
		var out []*corev1.Event
		for _, o := range events.GetStore().List() {
			if e, ok := o.(*corev1.Event); ok {
				out = append(out, e)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return eventTime(out[i]).Before(eventTime(out[j])) })
		if len(out) > 50 {
			out = out[len(out)-50:]
		}
		s.send(ctx, eventsMsg{events: out})
	}
	handler := func(f func()) cache.ResourceEventHandler {
		return cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { f() },
			UpdateFunc: func(any, any) { f() },
			DeleteFunc: func(any) { f() },
		}
	}
	_, _ = pods.AddEventHandler(handler(podsChanged))
	_, _ = events.AddEventHandler(handler(eventsChanged))
	pf.Start(ctx.Done())
	ef.Start(ctx.Done())
	<-ctx.Done()
	pf.Shutdown()
	ef.Shutdown()
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// readLoop runs the query through the service once a second.
func (s *streams) readLoop(ctx context.Context) {
	defer s.wg.Done()
	if s.read == nil || s.live.Read == nil {
		return
	}
	tick := time.NewTicker(readEvery)
	defer tick.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*readEvery)
		pod, v, err := s.live.Read(rctx, *s.read, s.query)
		cancel()
		if ctx.Err() != nil {
			return
		}
		s.send(ctx, readMsg{at: time.Now(), pod: pod, value: v, err: err})
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// followLogs makes the log stream follow pod ("" stops it). It is called
// from Update; the stream itself runs in its own goroutine.
func (s *streams) followLogs(pod, container string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pod == s.logPod || s.ctx.Err() != nil {
		return
	}
	if s.logCancel != nil {
		s.logCancel()
		s.logCancel = nil
	}
	s.logPod = pod
	if pod == "" {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.logCancel = cancel
	s.wg.Add(1)
	go s.logs(ctx, pod, container)
}

// logs follows a pod's log, reconnecting (after 2 s) when the stream ends
// or the container is not there yet.
func (s *streams) logs(ctx context.Context, pod, container string) {
	defer s.wg.Done()
	tail := int64(5)
	for {
		if container == "" {
			// Logs of a pod with several containers need a name: the
			// default container (kubectl's annotation), else the first.
			if p, err := s.live.Client.CoreV1().Pods(s.live.Namespace).Get(ctx, pod, metav1.GetOptions{}); err == nil {
				container = p.Annotations["kubectl.kubernetes.io/default-container"]
				if container == "" && len(p.Spec.Containers) > 0 {
					container = p.Spec.Containers[0].Name
				}
			}
		}
		req := s.live.Client.CoreV1().Pods(s.live.Namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, Follow: true, TailLines: &tail})
		rc, err := req.Stream(ctx)
		if err == nil {
			sc := bufio.NewScanner(rc)
			for sc.Scan() {
				s.send(ctx, logMsg{pod: pod, line: strings.TrimRight(sc.Text(), "\r")})
			}
			rc.Close()
		} else if ctx.Err() == nil {
			s.send(ctx, logMsg{pod: pod, err: err})
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}

// readTarget finds the query the read-service pane runs: the first
// valuesSeen check through a service in the lesson.
func readTarget(l *lesson.Lesson) (*step.SQLTarget, string) {
	for _, s := range l.Spec.Steps {
		for _, c := range s.Checks {
			if v, ok := c.Body.(*step.ValuesSeen); ok && v.Service != "" {
				t := v.SQLTarget
				return &t, v.Query
			}
		}
	}
	return nil, ""
}

// stepPods are the pods step s acts on or waits for, in order, and the
// container named with them; the events/logs pane follows the first of
// them that is not Ready.
func stepPods(s lesson.Step) ([]string, string) {
	if t, ok := s.Action.Body.(step.PodTarget); ok {
		if pods, container := t.TargetPods(); len(pods) > 0 {
			return pods, container
		}
	}
	var pods []string
	container := ""
	for _, c := range s.Checks {
		if t, ok := c.Body.(step.PodTarget); ok {
			p, ct := t.TargetPods()
			pods = append(pods, p...)
			if ct != "" {
				container = ct
			}
		}
	}
	return pods, container
}
