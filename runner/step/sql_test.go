package step

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step/internal/fakemysql"
)

// fakeServers serves pods mysql-N as MySQL servers with server_id 100+N
// sharing one table of messages (replication is instant here).
type fakeServers struct {
	mu       sync.Mutex
	messages []string
	queries  []string
}

func (s *fakeServers) serve(f *kubefake.Fakes) {
	f.Forward.Handler = func(pod string, port int, c net.Conn) {
		var id int
		fmt.Sscanf(pod, "mysql-%d", &id)
		fakemysql.Serve(c, func(q string) ([]string, [][]string, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.queries = append(s.queries, pod+": "+q)
			switch {
			case q == "SELECT @@server_id":
				return []string{"@@server_id"}, [][]string{{fmt.Sprint(100 + id)}}, nil
			case strings.HasPrefix(q, "INSERT INTO test.messages VALUES ('"):
				s.messages = append(s.messages, strings.TrimSuffix(strings.TrimPrefix(q, "INSERT INTO test.messages VALUES ('"), "')"))
				return nil, nil, nil
			case q == "SELECT * FROM test.messages":
				var rows [][]string
				for _, m := range s.messages {
					rows = append(rows, []string{m})
				}
				return []string{"message"}, rows, nil
			case strings.HasPrefix(q, "CREATE"):
				return nil, nil, nil
			}
			return nil, nil, fmt.Errorf("You have an error in your SQL syntax near %q", q)
		})
	}
}

func slice(ready map[string]bool) *discoveryv1.EndpointSlice {
	port := int32(3306)
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "mysql-read-abc", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "mysql-read"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Port: &port}},
	}
	for _, pod := range []string{"mysql-0", "mysql-1", "mysql-2"} {
		r, ok := ready[pod]
		if !ok {
			continue
		}
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{"10.0.0.1"},
			Conditions: discoveryv1.EndpointConditions{Ready: &r},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod},
		})
	}
	return es
}

func TestSQLActionToPodReportsServerID(t *testing.T) {
	env, f := newEnv(t)
	srv := &fakeServers{}
	srv.serve(f)
	a := &SQL{SQLTarget: SQLTarget{Pod: "mysql-0"}, Statements: []string{
		"CREATE DATABASE IF NOT EXISTS test", "INSERT INTO test.messages VALUES ('hello')", "SELECT * FROM test.messages"}}
	out, err := a.Run(context.Background(), env, func(Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	if out.Msg.Args["ServerID"] != "100" || out.Msg.Args["Pod"] != "mysql-0" {
		t.Fatal(out.Msg)
	}
	if !strings.Contains(out.Output, "hello") || !strings.Contains(out.Output, "1 row(s)") {
		t.Fatalf("output:\n%s", out.Output)
	}
	if d := f.Forward.Dialed(); len(d) != 1 || d[0] != "mysql-0:3306" {
		t.Fatalf("one connection for all statements, got %v", d)
	}
	a.Statements = []string{"SELEKT"}
	_, err = a.Run(context.Background(), env, func(Msg) {})
	if fl := asFailure(t, err); fl.Msg.ID != "StepSQLFailed" || !strings.Contains(fl.Msg.Args["Error"].(string), "syntax") {
		t.Fatal(fl)
	}
}

func TestSQLThroughServiceUsesOnlyReadyEndpoints(t *testing.T) {
	env, f := newEnv(t, slice(map[string]bool{"mysql-0": true, "mysql-1": true, "mysql-2": false}))
	srv := &fakeServers{}
	srv.serve(f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &ValuesSeen{SQLTarget: SQLTarget{Service: "mysql-read"}, Query: "SELECT @@server_id",
		Window: lesson.Duration(time.Second), Include: []string{"100", "101"}, Exclude: []string{"102"}}
	if err := c.Wait(ctx, env, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Forward.Dialed() {
		if strings.HasPrefix(d, "mysql-2") {
			t.Fatalf("dialed a pod whose endpoint is not ready: %v", f.Forward.Dialed())
		}
	}
}

func TestValuesSeenTimeoutNamesMissingServer(t *testing.T) {
	// One ready endpoint, so what each window sees does not depend on how
	// many reads a loaded machine manages: 100 at most, never 102.
	env, f := newEnv(t, slice(map[string]bool{"mysql-0": true, "mysql-2": false}))
	(&fakeServers{}).serve(f)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	c := &ValuesSeen{SQLTarget: SQLTarget{Service: "mysql-read"}, Query: "SELECT @@server_id",
		Window: lesson.Duration(500 * time.Millisecond), Include: []string{"100", "102"}}
	fl := asFailure(t, c.Wait(ctx, env, nil))
	if !fl.TimedOut || fl.Msg.ID != "StateValuesMissing" || !strings.Contains(fmt.Sprint(fl.Msg.Args["Missing"]), "102") {
		t.Fatal(fl)
	}
	if got := fl.Msg.Text(translator(t)); !strings.HasPrefix(got, "in the last 500ms saw") || !strings.HasSuffix(got, "102") {
		t.Fatal(got)
	}
}

func TestSQLContainsRequeriesUntilReplicated(t *testing.T) {
	env, f := newEnv(t, slice(map[string]bool{"mysql-1": true}))
	srv := &fakeServers{}
	srv.serve(f)
	c := &SQLContains{SQLTarget: SQLTarget{Service: "mysql-read"}, Query: "SELECT * FROM test.messages", Contains: "hello"}
	var mu sync.Mutex
	var reports []string
	res := make(chan error, 1)
	go func() {
		res <- c.Wait(context.Background(), env, func(m Msg) { mu.Lock(); reports = append(reports, m.ID); mu.Unlock() })
	}()
	time.Sleep(300 * time.Millisecond)
	srv.mu.Lock()
	srv.messages = append(srv.messages, "hello")
	srv.mu.Unlock()
	// A pod change pokes the check to re-query at once.
	createObj(t, f, mysqlPod("mysql-9", true))
	if err := result(t, res); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) == 0 || reports[0] != "StateSQLMissing" {
		t.Fatalf("reports %v", reports)
	}
}

func TestSQLNoReadyEndpointHint(t *testing.T) {
	env, f := newEnv(t, slice(map[string]bool{"mysql-0": false}))
	(&fakeServers{}).serve(f)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	c := &SQLContains{SQLTarget: SQLTarget{Service: "mysql-read"}, Query: "SELECT 1", Contains: "1"}
	fl := asFailure(t, c.Wait(ctx, env, nil))
	if fl.Msg.ID != "StateSQLConnect" || fl.Hint.ID != "HintNoEndpoint" {
		t.Fatal(fl)
	}
}

// TestValuesSeenSlidingWindow: the verdict is taken over the reads of the
// last window, after every read — not in whole windows — so one read of
// 102 while its endpoint leaves mysql-read delays the verdict by one
// window after that read, never more.
func TestValuesSeenSlidingWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	type read struct {
		at    time.Duration
		value string // "" is a failed read
	}
	every := func(from, to time.Duration, values ...string) []read {
		var out []read
		for i, at := 0, from; at <= to; i, at = i+1, at+150*time.Millisecond {
			out = append(out, read{at, values[i%len(values)]})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		check ValuesSeen
		reads []read
		// passAt is the first read after which the check passes (-1: never).
		passAt time.Duration
	}{
		{name: "include passes as soon as all answered",
			check:  ValuesSeen{Window: lesson.Duration(15 * time.Second), Include: []string{"100", "101", "102"}},
			reads:  every(0, 3*time.Second, "100", "101", "100", "102"),
			passAt: 450 * time.Millisecond},
		{name: "include needs them within the last window",
			check:  ValuesSeen{Window: lesson.Duration(time.Second), Include: []string{"100", "102"}},
			reads:  append([]read{{0, "102"}}, every(1500*time.Millisecond, 3*time.Second, "100")...),
			passAt: -1},
		{name: "exclude passes one window after the last unwanted read",
			check:  ValuesSeen{Window: lesson.Duration(10 * time.Second), Exclude: []string{"102"}},
			reads:  append(every(0, 2*time.Second, "100", "102", "101"), every(2150*time.Millisecond, 20*time.Second, "100", "101")...),
			passAt: 12050 * time.Millisecond}, // 102 last read at 1.95 s
		{name: "exclude needs a whole window of reads",
			check:  ValuesSeen{Window: lesson.Duration(10 * time.Second), Exclude: []string{"102"}},
			reads:  every(0, 20*time.Second, "100", "101"),
			passAt: 10050 * time.Millisecond},
		{name: "include and exclude",
			check:  ValuesSeen{Window: lesson.Duration(2 * time.Second), Include: []string{"100", "101"}, Exclude: []string{"102"}},
			reads:  append([]read{{0, "102"}}, every(150*time.Millisecond, 5*time.Second, "100", "", "101")...),
			passAt: 2100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &readWindow{span: tc.check.window()}
			got := time.Duration(-1)
			for _, r := range tc.reads {
				now := t0.Add(r.at)
				if r.value == "" {
					w.start(now)
				} else {
					w.add(now, r.value)
				}
				if ok, _, _, _ := tc.check.verdict(w, now); ok {
					got = r.at
					break
				}
			}
			if got != tc.passAt {
				t.Errorf("passed after the read at %v, want %v", got, tc.passAt)
			}
		})
	}
}
