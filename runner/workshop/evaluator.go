package workshop

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kubetutor/kubetutor/runner/engine"
	"github.com/kubetutor/kubetutor/runner/evidence"
	"github.com/kubetutor/kubetutor/runner/step"
)

// Debounce is how long the evaluator gathers the cluster's changes before
// it judges the class again and sends an update.
const Debounce = 250 * time.Millisecond

// retick re-judges the class this often without any change in the
// cluster, because time alone makes a learner stuck. It reads nothing from
// the API server.
const retick = 10 * time.Second

// Evaluator computes the class's progress from the cluster itself, with a
// fixed set of cluster-wide watches whatever the number of learners: one
// LIST+WATCH (a client-go informer) per kind the lesson touches — the
// workshop's namespaces (by label), the lesson's pods and claims (by its
// selector), events, nodes, and the metadata of the kinds the checks judge
// (evidence.ObjectKinds; metadata only, so no ConfigMap contents). It
// groups what it sees by namespace into a step.History per learner, judges
// it with evidence.Judge, and keeps when each step was first seen done in
// the workshop's record file. After the first LISTs it makes no request
// per learner. It implements Source.
type Evaluator struct {
	c          *Class
	store      *Store
	resolved   map[string]schema.GroupResource
	kinds      []objectKind
	instructor map[string]bool
	expected   []expectedEvent

	nsInf, podInf, pvcInf, evInf, nodeInf cache.SharedIndexInformer

	touched chan struct{}

	mu       sync.Mutex
	started  bool
	records  map[string]*LearnerRecord // by namespace
	learners map[string]*learnerView   // by learner name
	snap     Snapshot
	subs     map[chan Snapshot]struct{}
}

// objectKind is one kind of evidence.ObjectKinds, resolved.
type objectKind struct {
	gvr        schema.GroupVersionResource
	namespaced bool
	inf        cache.SharedIndexInformer
}

// expectedEvent is a warning the lesson itself causes (an `event` check
// or evidence): it is shown but does not make a learner stuck.
type expectedEvent struct{ kind, name, reason string }

// learnerView is what the evaluator knows of one learner.
type learnerView struct {
	ns     string
	row    Learner
	detail Detail
	prog   evidence.Progress
}

// NewEvaluator prepares the evaluator of class c: it resolves the kinds
// the lesson's checks judge (the cluster's RESTMapper, discovery) and reads
// the record file. Start starts the watches.
func NewEvaluator(c *Class) (*Evaluator, error) {
	e := &Evaluator{c: c, store: NewStore(c), resolved: map[string]schema.GroupResource{}, instructor: map[string]bool{},
		touched: make(chan struct{}, 1), learners: map[string]*learnerView{}, subs: map[chan Snapshot]struct{}{},
		snap: Snapshot{Workshop: c.Name, Lesson: c.Lesson.ID, Learners: []Learner{}}}
	env := c.Env("")
	for _, kind := range evidence.ObjectKinds(c.Lesson.Spec.Steps) {
		gvr, namespaced, err := env.Resolve(kind)
		if err != nil {
			return nil, problemErr(err, "WorkshopUnknownKind", "Kind", kind)
		}
		e.resolved[kind] = gvr.GroupResource()
		if !slices.ContainsFunc(e.kinds, func(k objectKind) bool { return k.gvr == gvr }) {
			e.kinds = append(e.kinds, objectKind{gvr: gvr, namespaced: namespaced})
		}
	}
	for _, id := range engine.ClusterSteps(env, c.Lesson.Spec.Steps) {
		e.instructor[id] = true
	}
	for _, s := range c.Lesson.Spec.Steps {
		for _, chk := range append(append([]lessonCheck(nil), s.Checks...), s.Evidence...) {
			if ev, ok := chk.Body.(*step.Event); ok {
				e.expected = append(e.expected, expectedEvent{strings.ToLower(strings.Split(ev.Kind, ".")[0]), ev.Name, ev.Reason})
			}
		}
	}
	recs, err := e.store.Load()
	if err != nil {
		return nil, err
	}
	e.records = recs
	return e, nil
}

// Kinds is the number of kinds the evaluator watches: one LIST and one
// WATCH each.
func (e *Evaluator) Kinds() int { return 5 + len(e.kinds) }

// Start starts the watches, waits until every informer has listed, judges
// the class once (Snapshot is then the class now) and keeps it up to date
// in the background until ctx ends.
func (e *Evaluator) Start(ctx context.Context) error {
	c := e.c
	client := c.Cluster.Client
	// Each LIST is one request, unpaginated: the informers' pager would
	// ask for pages of 500, and where the API server serves a kind from
	// etcd rather than its watch cache (events, by default) the number of
	// pages would grow with the class.
	whole := func(o *metav1.ListOptions) { o.Limit = 0 }
	byWorkshop := func(o *metav1.ListOptions) { o.LabelSelector, o.Limit = LabelWorkshop+"="+c.Name, 0 }
	byLesson := func(o *metav1.ListOptions) { o.LabelSelector, o.Limit = c.Lesson.Spec.Selector, 0 }
	nsF := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(byWorkshop))
	lessonF := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(byLesson))
	allF := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(whole))
	e.nsInf = nsF.Core().V1().Namespaces().Informer()
	e.podInf = lessonF.Core().V1().Pods().Informer()
	e.pvcInf = lessonF.Core().V1().PersistentVolumeClaims().Informer()
	e.evInf = allF.Core().V1().Events().Informer()
	e.nodeInf = allF.Core().V1().Nodes().Informer()
	infs := []cache.SharedIndexInformer{e.nsInf, e.podInf, e.pvcInf, e.evInf, e.nodeInf}
	var mdF metadatainformer.SharedInformerFactory
	if len(e.kinds) > 0 {
		if c.Cluster.Metadata == nil {
			return fmt.Errorf("workshop: the cluster seam has no metadata client")
		}
		mdF = metadatainformer.NewFilteredSharedInformerFactory(c.Cluster.Metadata, 0, "", byLesson)
		for i := range e.kinds {
			e.kinds[i].inf = mdF.ForResource(e.kinds[i].gvr).Informer()
			infs = append(infs, e.kinds[i].inf)
		}
	}
	touch := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { e.touch() },
		UpdateFunc: func(any, any) { e.touch() },
		DeleteFunc: func(any) { e.touch() },
	}
	synced := make([]cache.InformerSynced, 0, len(infs))
	for _, inf := range infs {
		if _, err := inf.AddEventHandler(touch); err != nil {
			return err
		}
		synced = append(synced, inf.HasSynced)
	}
	nsF.Start(ctx.Done())
	lessonF.Start(ctx.Done())
	allF.Start(ctx.Done())
	if mdF != nil {
		mdF.Start(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return problem("WorkshopNoSync")
	}
	e.mu.Lock()
	e.started = true
	e.mu.Unlock()
	// Drain the touches of the initial lists: the first judgement covers them.
	select {
	case <-e.touched:
	default:
	}
	e.judge()
	go e.loop(ctx)
	return nil
}

func (e *Evaluator) touch() {
	select {
	case e.touched <- struct{}{}:
	default:
	}
}

// loop re-judges the class Debounce after a change, and every retick.
func (e *Evaluator) loop(ctx context.Context) {
	tick := time.NewTicker(retick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			e.mu.Lock()
			for ch := range e.subs {
				delete(e.subs, ch)
				close(ch)
			}
			e.mu.Unlock()
			return
		case <-e.touched:
			select {
			case <-time.After(Debounce):
			case <-ctx.Done():
				continue
			}
			select { // changes during the wait are in this judgement
			case <-e.touched:
			default:
			}
		case <-tick.C:
		}
		e.judge()
	}
}

// Snapshot implements Source.
func (e *Evaluator) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return cloneSnapshot(e.snap)
}

// Updates implements Source: the current snapshot first, then a new one
// after each change the cluster shows (debounced). A slow reader gets the
// newest snapshot, not every one. The channel closes when ctx or the
// evaluator ends.
func (e *Evaluator) Updates(ctx context.Context) <-chan Snapshot {
	ch := make(chan Snapshot, 1)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	ch <- cloneSnapshot(e.snap)
	e.mu.Unlock()
	go func() {
		<-ctx.Done()
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.subs[ch]; ok {
			delete(e.subs, ch)
			close(ch)
		}
	}()
	return ch
}

// Detail implements Source.
func (e *Evaluator) Detail(learner string) (Detail, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.learners[learner]
	if !ok {
		return Detail{}, false
	}
	d := v.detail
	d.Steps = slices.Clone(d.Steps)
	d.Events = slices.Clone(d.Events)
	d.Pods = slices.Clone(d.Pods)
	return d, true
}

// learner returns the namespace and judged progress of a learner.
func (e *Evaluator) learner(name string) (ns string, p evidence.Progress, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.learners[name]
	if !ok {
		return "", evidence.Progress{}, false
	}
	return v.ns, v.prog, true
}

// Refresh judges the class again now (after an action of the
// instructor's) and returns the snapshot.
func (e *Evaluator) Refresh() Snapshot {
	e.judge()
	return e.Snapshot()
}

// pod is the cached pod name in namespace ns (nil: none).
func (e *Evaluator) pod(ns, name string) *corev1.Pod {
	o, ok, err := e.podInf.GetIndexer().GetByKey(ns + "/" + name)
	if err != nil || !ok {
		return nil
	}
	p, _ := o.(*corev1.Pod)
	return p
}

func cloneSnapshot(s Snapshot) Snapshot {
	s.Learners = slices.Clone(s.Learners)
	if s.Learners == nil {
		s.Learners = []Learner{}
	}
	return s
}

// judge judges every learner from the informers' caches, records first
// sightings, and publishes a new snapshot when anything changed.
func (e *Evaluator) judge() {
	now := e.c.now()
	steps := e.c.Lesson.Spec.Steps
	nodes := map[string]*corev1.Node{}
	for _, o := range e.nodeInf.GetStore().List() {
		if n, ok := o.(*corev1.Node); ok {
			nodes[n.Name] = n
		}
	}
	type judged struct {
		ns, name string
		epoch    time.Time
		h        *step.History
		prog     evidence.Progress
	}
	var all []judged
	for _, o := range e.nsInf.GetStore().List() {
		n, ok := o.(*corev1.Namespace)
		if !ok || n.DeletionTimestamp != nil {
			continue
		}
		name := n.Labels[LabelLearner]
		if name == "" {
			name = strings.TrimPrefix(n.Name, e.c.Name+"-")
		}
		var epoch time.Time
		if a := n.Annotations[AnnotationEpoch]; a != "" {
			if t, err := time.Parse(time.RFC3339Nano, a); err == nil {
				epoch = t
			}
		}
		all = append(all, judged{ns: n.Name, name: name, epoch: epoch, h: e.history(n.Name, epoch, nodes, now)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })

	e.mu.Lock()
	changed := map[string]*LearnerRecord{}
	stale := map[string]bool{}
	for i := range all {
		j := &all[i]
		rec := e.records[j.ns]
		if rec == nil {
			rec = &LearnerRecord{}
			e.records[j.ns] = rec
		}
		if j.epoch.After(rec.Epoch) {
			rec.Epoch = j.epoch
			rec.merge(&LearnerRecord{}) // drops what came before the epoch
			changed[j.ns] = rec
		}
		j.prog = evidence.Judge(steps, j.h, rec.Record())
		if j.prog.Reached < 0 && len(rec.Seen) > 0 && j.h.Empty() {
			// Judge found the record stale (cleaned up by hand): forget it,
			// or it would come back with the learner's next object.
			rec.Seen, rec.Pushed = nil, nil
			changed[j.ns], stale[j.ns] = rec, true
		}
		if recordSeen(rec, j.prog, now) {
			changed[j.ns] = rec
		}
	}
	medians := e.medians()
	snap := Snapshot{Workshop: e.c.Name, Lesson: e.c.Lesson.ID, Learners: make([]Learner, 0, len(all))}
	learners := map[string]*learnerView{}
	for _, j := range all {
		v := e.view(j.name, j.ns, j.h, j.prog, e.records[j.ns], medians, now)
		learners[j.name] = v
		snap.Learners = append(snap.Learners, v.row)
	}
	e.learners = learners
	same := reflect.DeepEqual(snap, e.snap)
	e.snap = snap
	if !same {
		for ch := range e.subs {
			select { // keep only the newest for a slow reader
			case <-ch:
			default:
			}
			ch <- cloneSnapshot(snap)
		}
	}
	e.mu.Unlock()
	if len(changed) > 0 {
		e.save(changed, stale)
	}
}

// save writes changed records, merged with what other processes (a push,
// a reset) wrote meanwhile; the merge comes back into memory.
func (e *Evaluator) save(changed map[string]*LearnerRecord, stale map[string]bool) {
	_ = e.store.Update(func(file map[string]*LearnerRecord) {
		e.mu.Lock()
		defer e.mu.Unlock()
		for ns, rec := range changed {
			f := file[ns]
			if f == nil {
				f = &LearnerRecord{}
				file[ns] = f
			}
			if rec.Epoch.After(f.Epoch) || stale[ns] {
				// A newer attempt, or a record found stale: ours replaces it.
				*f = LearnerRecord{Epoch: rec.Epoch}
			}
			f.merge(rec)
			*rec = LearnerRecord{Epoch: f.Epoch, Seen: mapsClone(f.Seen), Pushed: mapsClone(f.Pushed)}
		}
	})
}

func mapsClone(m map[string]time.Time) map[string]time.Time {
	out := make(map[string]time.Time, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// recordSeen records when each done step was first seen: the history's
// time when it proves the step, else now for the furthest done step and
// for steps whose states hold now. A step implied by a later one gets no
// entry: it happened at some unknown time before that step's evidence,
// and an entry at the later step's time would make evidence.Judge look
// for the later step's evidence strictly after itself. It reports whether
// the record changed.
func recordSeen(rec *LearnerRecord, p evidence.Progress, now time.Time) bool {
	if rec.Seen == nil {
		rec.Seen = map[string]time.Time{}
	}
	changed := false
	for i := 0; i <= p.Reached; i++ {
		st := p.Steps[i]
		if _, ok := rec.Seen[st.ID]; ok {
			continue
		}
		var at time.Time
		switch {
		case !st.At.IsZero():
			at = st.At
		case i == p.Reached || st.How == evidence.Holding:
			at = now
		default:
			continue
		}
		if at.Before(rec.Epoch) {
			at = rec.Epoch
		}
		rec.Seen[st.ID] = at
		changed = true
	}
	return changed
}

// medians are the class's median duration of each step (from the records:
// first seen done minus the step before's), by step ID.
func (e *Evaluator) medians() map[string]time.Duration {
	steps := e.c.Lesson.Spec.Steps
	out := map[string]time.Duration{}
	for i := 1; i < len(steps); i++ {
		var ds []time.Duration
		for _, rec := range e.records {
			a, okA := rec.Seen[steps[i-1].ID]
			b, okB := rec.Seen[steps[i].ID]
			if okA && okB && !b.Before(a) {
				ds = append(ds, b.Sub(a))
			}
		}
		out[steps[i].ID] = median(ds)
	}
	return out
}

// history builds namespace ns's History from the informers' caches.
func (e *Evaluator) history(ns string, epoch time.Time, nodes map[string]*corev1.Node, now time.Time) *step.History {
	h := &step.History{Namespace: ns, Lesson: e.c.Lesson.ID, Epoch: epoch, Now: now,
		Pods: map[string]*corev1.Pod{}, PVCs: map[string]*corev1.PersistentVolumeClaim{}, Nodes: nodes,
		Objects: map[schema.GroupResource]map[string]metav1.Object{},
		Resolve: func(kind string) (schema.GroupResource, error) {
			if gr, ok := e.resolved[kind]; ok {
				return gr, nil
			}
			return schema.GroupResource{}, fmt.Errorf("kind %q is not watched", kind)
		},
	}
	byNS := func(inf cache.SharedIndexInformer) []any {
		objs, _ := inf.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
		return objs
	}
	for _, o := range byNS(e.podInf) {
		if p, ok := o.(*corev1.Pod); ok {
			h.Pods[p.Name] = p
		}
	}
	for _, o := range byNS(e.pvcInf) {
		if p, ok := o.(*corev1.PersistentVolumeClaim); ok {
			h.PVCs[p.Name] = p
		}
	}
	for _, o := range byNS(e.evInf) {
		if ev, ok := o.(*corev1.Event); ok {
			h.Events = append(h.Events, ev)
		}
	}
	step.SortEvents(h.Events)
	for _, k := range e.kinds {
		var objs []any
		if k.namespaced {
			objs = byNS(k.inf)
		} else {
			objs = k.inf.GetStore().List()
		}
		m := map[string]metav1.Object{}
		for _, o := range objs {
			if mo, ok := o.(metav1.Object); ok {
				m[mo.GetName()] = mo
			}
		}
		h.Objects[k.gvr.GroupResource()] = m
	}
	return h
}

// view makes a learner's row and detail.
func (e *Evaluator) view(name, ns string, h *step.History, p evidence.Progress, rec *LearnerRecord, medians map[string]time.Duration, now time.Time) *learnerView {
	steps := e.c.Lesson.Spec.Steps
	v := &learnerView{ns: ns, prog: p}
	row := Learner{Name: name, Namespace: ns, StepIndex: p.Reached + 1}
	in := stateInput{Reached: p.Reached, Steps: len(steps), Now: now}
	if p.Reached >= 0 {
		row.Step = steps[p.Reached].ID
		row.Since = rec.Seen[row.Step]
		in.Since = row.Since
	}
	if next := p.Reached + 1; next < len(steps) {
		s := steps[next]
		in.Instructor = e.instructor[s.ID]
		in.Median = medians[s.ID]
		for _, c := range s.Checks {
			in.Timeout = max(in.Timeout, e.c.Lesson.Spec.CheckTimeout(s, c))
		}
		if len(s.Checks) == 0 {
			in.Timeout = e.c.Lesson.Spec.CheckTimeout(s, lessonCheck{})
		}
	}
	warn, warnAt, unexpectedAt := e.lastWarning(h)
	bad, badSince := badPod(h)
	if bad != "" {
		warn, warnAt = bad, badSince
		in.BadSince = badSince
	}
	row.LastWarning, row.LastWarningAt = warn, warnAt
	in.WarnAt = unexpectedAt
	row.State = learnerState(in)
	v.row = row

	d := Detail{Learner: row}
	for i, s := range steps {
		st := p.Steps[i]
		seen := StepSeen{ID: s.ID, Done: st.Done, How: string(st.How), Inside: st.Proof == step.Inside}
		if st.Done {
			seen.At = rec.Seen[s.ID]
		}
		_, seen.Pushed = rec.Pushed[s.ID]
		d.Steps = append(d.Steps, seen)
	}
	evs := h.Events
	if n := len(evs); n > 15 {
		evs = evs[n-15:]
	}
	for _, ev := range evs {
		if step.EventLast(ev).Before(h.Epoch) {
			continue
		}
		d.Events = append(d.Events, Line{At: step.EventLast(ev), Text: eventLine(ev), Warn: ev.Type == corev1.EventTypeWarning})
	}
	names := make([]string, 0, len(h.Pods))
	for n := range h.Pods {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pod := h.Pods[n]
		line, warn := podLine(pod)
		d.Pods = append(d.Pods, Line{At: pod.CreationTimestamp.Time, Text: line, Warn: warn})
	}
	v.detail = d
	return v
}

// lastWarning is the newest Warning event of the current attempt, in one
// line, and when it last occurred; unexpectedAt is the same for warnings
// that still matter: not caused by the lesson on purpose, and not about a
// pod that is Ready now (a pod's start-up warnings — unbound claims while
// its volume is provisioned, a probe that fails while the server starts —
// are over once it is Ready).
func (e *Evaluator) lastWarning(h *step.History) (text string, at, unexpectedAt time.Time) {
	for _, ev := range h.Events {
		if ev.Type != corev1.EventTypeWarning {
			continue
		}
		t := step.EventLast(ev)
		if t.Before(h.Epoch) {
			continue
		}
		if !t.Before(at) {
			text, at = eventLine(ev), t
		}
		if !e.isExpected(ev) && !readyNow(h, ev) && !t.Before(unexpectedAt) {
			unexpectedAt = t
		}
	}
	return text, at, unexpectedAt
}

// readyNow reports whether ev is about a pod that is Ready now (the same
// pod, when the event names its UID).
func readyNow(h *step.History, ev *corev1.Event) bool {
	if ev.InvolvedObject.Kind != "Pod" {
		return false
	}
	p := h.Pods[ev.InvolvedObject.Name]
	if p == nil || ev.InvolvedObject.UID != "" && ev.InvolvedObject.UID != p.UID {
		return false
	}
	return step.PodReady(p)
}

func (e *Evaluator) isExpected(ev *corev1.Event) bool {
	for _, x := range e.expected {
		if strings.EqualFold(ev.InvolvedObject.Kind, x.kind) && ev.InvolvedObject.Name == x.name && ev.Reason == x.reason {
			return true
		}
	}
	return false
}

// eventLine writes an event the way `kubectl get events` shows it, in
// one line: reason, object, message (the cluster's own words).
func eventLine(ev *corev1.Event) string {
	msg := strings.Join(strings.Fields(ev.Message), " ")
	if len(msg) > 160 {
		msg = msg[:157] + "…"
	}
	return fmt.Sprintf("%s %s/%s: %s", ev.Reason, strings.ToLower(ev.InvolvedObject.Kind), ev.InvolvedObject.Name, msg)
}

// badReasons are container waiting reasons that mean a pod is failing.
var badReasons = []string{"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CreateContainerError", "InvalidImageName", "RunContainerError"}

// badPod names the first pod in a bad state (a container waiting for a
// bad reason, or unschedulable), with since when (the time its Ready, or
// PodScheduled, condition last changed).
func badPod(h *step.History) (string, time.Time) {
	names := make([]string, 0, len(h.Pods))
	for n := range h.Pods {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := h.Pods[n]
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, cs := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
			if w := cs.State.Waiting; w != nil && slices.Contains(badReasons, w.Reason) {
				return fmt.Sprintf("pod/%s: %s (%s)", p.Name, w.Reason, cs.Name), condSince(p, corev1.PodReady)
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				return fmt.Sprintf("pod/%s: %s: %s", p.Name, c.Reason, strings.Join(strings.Fields(c.Message), " ")), c.LastTransitionTime.Time
			}
		}
	}
	return "", time.Time{}
}

func condSince(p *corev1.Pod, t corev1.PodConditionType) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == t && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	return p.CreationTimestamp.Time
}

// podLine writes a pod as `kubectl get pods -o wide` would: name, ready
// containers, status, restarts, node; warn when it is not Ready.
func podLine(p *corev1.Pod) (string, bool) {
	ready, restarts := 0, int32(0)
	status := string(p.Status.Phase)
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
		restarts += cs.RestartCount
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			status = w.Reason
		}
	}
	if p.DeletionTimestamp != nil {
		status = "Terminating"
	}
	node := p.Spec.NodeName
	if node == "" {
		node = "<none>"
	}
	isReady := false
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			isReady = c.Status == corev1.ConditionTrue
		}
	}
	return fmt.Sprintf("%s %d/%d %s %d %s", p.Name, ready, len(p.Spec.Containers), status, restarts, node), !isReady
}

// waitEpoch waits until the namespace watch shows namespace ns at epoch
// (after a reset's patch), then judges the class again, so that the next
// plan starts the learner from the beginning.
func (e *Evaluator) waitEpoch(ctx context.Context, ns string, epoch time.Time) {
	at := func(o any) bool {
		n, ok := o.(*corev1.Namespace)
		if !ok || n.Name != ns {
			return false
		}
		t, err := time.Parse(time.RFC3339Nano, n.Annotations[AnnotationEpoch])
		return err == nil && !t.Before(epoch)
	}
	seen := make(chan struct{}, 1)
	signal := func(o any) {
		if at(o) {
			select {
			case seen <- struct{}{}:
			default:
			}
		}
	}
	reg, err := e.nsInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: signal, UpdateFunc: func(_, o any) { signal(o) },
	})
	if err == nil {
		defer e.nsInf.RemoveEventHandler(reg)
		if o, ok, _ := e.nsInf.GetStore().GetByKey(ns); !ok || !at(o) {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			select {
			case <-seen:
			case <-wctx.Done():
			}
			cancel()
		}
	}
	e.judge()
}
