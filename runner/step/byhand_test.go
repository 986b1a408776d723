package step

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/runner/kube"
	"github.com/kubetutor/kubetutor/runner/kube/kubefake"
	"github.com/kubetutor/kubetutor/runner/lesson"
)

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"mysql-2", "mysql-2"},
		{"--replicas=5", "--replicas=5"},
		{"/usr/bin/mysql.off", "/usr/bin/mysql.off"},
		{"", "''"},
		{"app in (mehdb, mehdb-client)", "'app in (mehdb, mehdb-client)'"},
		{"INSERT INTO test.messages VALUES ('hello')", `"INSERT INTO test.messages VALUES ('hello')"`},
		{"echo 123 > /var/lib/mysql/test.txt", "'echo 123 > /var/lib/mysql/test.txt'"},
		{`it's "$HOME"`, `'it'\''s "$HOME"'`},
		{"a!b", "'a!b'"},
		{"%{http_code} %{redirect_url}\\n", `'%{http_code} %{redirect_url}\n'`},
	} {
		if got := ShellQuote(tc.in); got != tc.want {
			t.Errorf("ShellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestShellJoinRoundTrip runs the joined line through a real POSIX shell:
// every word comes back exactly.
func TestShellJoinRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{"a b", "it's", `"q"`, "$HOME", "`x`", `back\slash`, "*", "~", "ok", "", "VALUES ('hello')", "a!b", "tab\there", "new\nline"}
	line := "printf '%s\\0' " + ShellJoin(argv)
	got, err := exec.Command(sh, "-c", line).Output()
	if err != nil {
		t.Fatal(line, err)
	}
	words := strings.Split(strings.TrimSuffix(string(got), "\x00"), "\x00")
	if fmt.Sprintf("%q", words) != fmt.Sprintf("%q", argv) {
		t.Errorf("%s\n gave %q\nwant %q", line, words, argv)
	}
}

// byHandEnv is an Env on fakes with the lesson's objects: mysql-2 on
// node-1, a StatefulSet, mysql-read's endpoints, a manifest.
func byHandEnv(t *testing.T, flags ...string) (*Env, *kubefake.Fakes) {
	t.Helper()
	owned := func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "mysql", APIVersion: "apps/v1", Controller: ptr(true)}}
	}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: ns}, Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(3))}}
	env, f := newEnv(t, node("node-1", false), node("node-2", false), sts,
		mysqlPod("mysql-2", true, onNode("node-1"), owned), mysqlPod("mysql-1", true, onNode("node-2"), owned),
		slice(map[string]bool{"mysql-0": true, "mysql-1": true}))
	env.Manifests = fstest.MapFS{"mysql/all.yaml": {Data: []byte(stsYAML)}, "mysql/configmap.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mysql}\n")}}
	env.ManifestCache = t.TempDir()
	env.Cluster.Kubectl = flags
	return env, f
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flags  []string
		action Action
		want   []string
		note   string
	}{
		{name: "exec", action: &Exec{Pod: "mysql-2", Container: "mysql", Command: []string{"mv", "/usr/bin/mysql", "/usr/bin/mysql.off"}},
			want: []string{"kubectl exec mysql-2 -c mysql -- mv /usr/bin/mysql /usr/bin/mysql.off"}},
		{name: "exec with a shell, another namespace", flags: []string{"-n", "alice"},
			action: &Exec{Pod: "web-0", Command: []string{"bash", "-c", "echo 123 > /data/test.txt"}},
			want:   []string{"kubectl -n alice exec web-0 -- bash -c 'echo 123 > /data/test.txt'"}},
		{name: "sql to a pod", action: &SQL{SQLTarget: SQLTarget{Pod: "mysql-0"}, Statements: []string{"CREATE DATABASE IF NOT EXISTS test", "INSERT INTO test.messages VALUES ('hello')"}},
			want: []string{`kubectl exec mysql-0 -- mysql -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS test; INSERT INTO test.messages VALUES ('hello')"`}},
		{name: "sql through a service", action: &SQL{SQLTarget: SQLTarget{Service: "mysql-read"}, Statements: []string{"SELECT @@server_id"}},
			want: []string{"kubectl exec mysql-0 -- mysql -h mysql-read -u root -e 'SELECT @@server_id'"}, note: "ByHandSQLService Pod=mysql-0 Service=mysql-read"},
		{name: "drain", flags: []string{"--context", "lab", "-n", "alice"}, action: &Drain{NodeOp: NodeOp{Pod: "mysql-2"}},
			want: []string{"kubectl --context lab -n alice drain node-1 --ignore-daemonsets --delete-emptydir-data --force --pod-selector app=mysql"},
			note: "ByHandDrain Namespace=tutor Selector=app=mysql"},
		{name: "cordon", action: &Cordon{NodeOp: NodeOp{Node: "node-2"}}, want: []string{"kubectl cordon node-2"}},
		{name: "uncordon, nothing cordoned", action: &Uncordon{}, note: "ByHandNoCordon"},
		{name: "uncordon a pod's node", action: &Uncordon{NodeOp: NodeOp{Pod: "mysql-1"}}, want: []string{"kubectl uncordon node-2"}},
		{name: "scale", action: &Scale{StatefulSet: "mysql", Replicas: 5}, want: []string{"kubectl scale statefulset mysql --replicas=5"}},
		{name: "delete pod", action: &DeletePod{Name: "mysql-2"}, want: []string{"kubectl delete pod mysql-2"}},
		{name: "delete pvcs", action: &DeletePVCs{Names: []string{"data-mysql-3", "data-mysql-4"}}, want: []string{"kubectl delete pvc data-mysql-3 data-mysql-4"}},
		{name: "delete pvcs by selector", action: &DeletePVCs{Selector: "app in (a, b)"}, want: []string{"kubectl delete pvc -l 'app in (a, b)'"}},
		{name: "cleanup", action: &Cleanup{},
			want: []string{"kubectl delete statefulsets,deployments,jobs,poddisruptionbudgets,pods,services,configmaps,secrets,persistentvolumeclaims -l app=mysql"}},
		{name: "wait", action: &Wait{}, note: "ByHandWait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := byHandEnv(t, tc.flags...)
			h, err := tc.action.Commands(context.Background(), env)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", h.Lines) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("lines\n got %q\nwant %q", h.Lines, tc.want)
			}
			if h.Note.String() != tc.note {
				t.Errorf("note %q, want %q", h.Note.String(), tc.note)
			}
		})
	}
}

// TestApplyCommandsPointAtACurrentCopy: the command applies a copy the
// tutor keeps, addressed by its content: a changed file (an --image
// override here) gets another path, and the copy holds what Run applies.
func TestApplyCommandsPointAtACurrentCopy(t *testing.T) {
	env, _ := byHandEnv(t, "-n", "alice")
	a := &Apply{Files: []string{"mysql/configmap.yaml", "mysql/all.yaml"}}
	h, err := a.Commands(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(h.Lines[0])
	if len(h.Lines) != 1 || strings.Join(fields[:4], " ") != "kubectl -n alice apply" || fields[4] != "-f" || fields[6] != "-f" {
		t.Fatalf("lines %q", h.Lines)
	}
	first := fields[7]
	if !strings.HasPrefix(first, env.ManifestCache) || !strings.HasSuffix(first, filepath.FromSlash("/mysql/all.yaml")) {
		t.Fatalf("copy at %s", first)
	}
	raw, _ := os.ReadFile(first)
	if string(raw) != stsYAML {
		t.Errorf("the copy is not the file:\n%s", raw)
	}
	again, _ := a.Commands(context.Background(), env)
	if again.Lines[0] != h.Lines[0] {
		t.Errorf("the same content got another path: %s", again.Lines[0])
	}

	env.Images = map[string]string{"mariadb": "registry.example/mariadb:11"}
	h, err = a.Commands(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Fields(h.Lines[0])[7]
	if other == first {
		t.Fatal("an override did not change the copy's path")
	}
	raw, _ = os.ReadFile(other)
	if !strings.Contains(string(raw), "registry.example/mariadb:11") || strings.Contains(string(raw), "kubetutor.local/mariadb") ||
		!strings.Contains(string(raw), "image: busybox") || strings.Count(string(raw), "\n---\n") != 1 {
		t.Errorf("the copy does not carry the override:\n%s", raw)
	}
	objs, err := ReadManifest(os.DirFS(filepath.Dir(other)), filepath.Base(other))
	if err != nil || len(objs) != 2 {
		t.Errorf("the copy does not decode to two objects: %v %v", objs, err)
	}
}

// TestDrainByHand: the learner drains mysql-2's node by hand, the pod
// moves; Enter then finds it done and even Run drains no second node; once
// the step passes, the tutor adopts the cordon, so uncordon undoes it.
func TestDrainByHand(t *testing.T) {
	ctx := context.Background()
	env, f := byHandEnv(t)
	a := &Drain{NodeOp: NodeOp{Pod: "mysql-2"}}
	if err := a.Prepare(ctx, env); err != nil {
		t.Fatal(err)
	}
	if done, _ := a.AlreadyDone(ctx, env); done {
		t.Fatal("done before anything happened")
	}
	// By hand: cordon node-1; mysql-2 is evicted and comes back on node-2.
	n, _ := f.Client.CoreV1().Nodes().Get(ctx, "node-1", metav1.GetOptions{})
	n.Spec.Unschedulable = true
	if _, err := f.Client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	p, _ := f.Client.CoreV1().Pods(ns).Get(ctx, "mysql-2", metav1.GetOptions{})
	p.Spec.NodeName, p.UID = "node-2", "uid-new"
	updatePod(t, f, p)

	done, why := a.AlreadyDone(ctx, env)
	if !done || why.String() != "AlreadyDrained Node=node-1" {
		t.Fatalf("AlreadyDone = %v %s", done, why)
	}
	if h, _ := a.Commands(ctx, env); !strings.Contains(h.Lines[0], "drain node-1 ") {
		t.Errorf("the command names another node: %s", h.Lines[0])
	}
	if _, err := a.Run(ctx, env, func(Msg) {}); err != nil {
		t.Fatal(err)
	}
	if n2, _ := f.Client.CoreV1().Nodes().Get(ctx, "node-2", metav1.GetOptions{}); n2.Spec.Unschedulable {
		t.Fatal("Run after a drain by hand cordoned node-2 too")
	}

	if err := a.Adopt(ctx, env); err != nil {
		t.Fatal(err)
	}
	n, _ = f.Client.CoreV1().Nodes().Get(ctx, "node-1", metav1.GetOptions{})
	if n.Annotations[CordonedByAnnotation] != env.CordonMark() {
		t.Fatalf("node-1 not adopted: %v", n.Annotations)
	}
	h, err := (&Uncordon{}).Commands(ctx, env)
	if err != nil || fmt.Sprint(h.Lines) != "[kubectl uncordon node-1]" {
		t.Fatalf("uncordon commands %q %v", h.Lines, err)
	}
	if _, err := (&Uncordon{}).Run(ctx, env, func(Msg) {}); err != nil {
		t.Fatal(err)
	}
	n, _ = f.Client.CoreV1().Nodes().Get(ctx, "node-1", metav1.GetOptions{})
	if n.Spec.Unschedulable {
		t.Fatal("the adopted node was not uncordoned")
	}
}

// TestAdoptLeavesOthersCordonsAlone: a node cordoned before the step was
// armed, or marked by someone else, is not taken over.
func TestAdoptLeavesOthersCordonsAlone(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name          string
		cordonedFirst bool
		mark          string
	}{
		{name: "cordoned before", cordonedFirst: true},
		{name: "someone else's mark", mark: "workshop/lead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, f := byHandEnv(t)
			n, _ := f.Client.CoreV1().Nodes().Get(ctx, "node-1", metav1.GetOptions{})
			set := func() {
				n.Spec.Unschedulable = true
				if tc.mark != "" {
					n.Annotations = map[string]string{CordonedByAnnotation: tc.mark}
				}
				n, _ = f.Client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
			}
			if tc.cordonedFirst {
				set()
			}
			a := &Cordon{NodeOp: NodeOp{Pod: "mysql-2"}}
			a.Prepare(ctx, env)
			if !tc.cordonedFirst {
				set()
			}
			if err := a.Adopt(ctx, env); err != nil {
				t.Fatal(err)
			}
			n, _ = f.Client.CoreV1().Nodes().Get(ctx, "node-1", metav1.GetOptions{})
			if n.Annotations[CordonedByAnnotation] != tc.mark || len(env.State.CordonedNodes()) > 0 {
				t.Errorf("adopted: %v %v", n.Annotations, env.State.CordonedNodes())
			}
		})
	}
}

func TestAlreadyDone(t *testing.T) {
	ctx := context.Background()
	t.Run("delete pod replaced by hand", func(t *testing.T) {
		env, f := byHandEnv(t)
		a := &DeletePod{Name: "mysql-2"}
		a.Prepare(ctx, env)
		if done, _ := a.AlreadyDone(ctx, env); done {
			t.Fatal("done before")
		}
		p, _ := f.Client.CoreV1().Pods(ns).Get(ctx, "mysql-2", metav1.GetOptions{})
		p.UID = "uid-new"
		updatePod(t, f, p)
		if done, why := a.AlreadyDone(ctx, env); !done || why.ID != "AlreadyDeleted" {
			t.Fatal(done, why)
		}
	})
	t.Run("scale already set", func(t *testing.T) {
		env, _ := byHandEnv(t)
		if done, _ := (&Scale{StatefulSet: "mysql", Replicas: 5}).AlreadyDone(ctx, env); done {
			t.Fatal("3 replicas taken for 5")
		}
		if done, why := (&Scale{StatefulSet: "mysql", Replicas: 3}).AlreadyDone(ctx, env); !done || why.String() != "AlreadyScaled Replicas=3 StatefulSet=mysql" {
			t.Fatal(done, why)
		}
	})
	t.Run("exec doneIf", func(t *testing.T) {
		env, f := byHandEnv(t)
		moved := false
		f.Exec.Handler = func(c kubefake.ExecCall, stdout, stderr io.Writer) error {
			switch c.Command[0] {
			case "test":
				if !moved {
					return fmt.Errorf("exec: %w", kube.ExitError{Code: 1})
				}
			case "mv":
				if moved {
					return fmt.Errorf("exec: %w", kube.ExitError{Code: 1})
				}
				moved = true
			}
			return nil
		}
		a := &Exec{Pod: "mysql-2", Container: "mysql", Command: []string{"mv", "/usr/bin/mysql", "/usr/bin/mysql.off"}, DoneIf: []string{"test", "-e", "/usr/bin/mysql.off"}}
		if done, _ := a.AlreadyDone(ctx, env); done {
			t.Fatal("done before")
		}
		if _, err := a.Run(ctx, env, func(Msg) {}); err != nil || !moved {
			t.Fatal(err)
		}
		done, why := a.AlreadyDone(ctx, env)
		if !done || why.String() != "AlreadyDoneIf Command=test -e /usr/bin/mysql.off Pod=mysql-2" {
			t.Fatal(done, why)
		}
		out, err := a.Run(ctx, env, func(Msg) {}) // a retry does not fail on the moved file
		if err != nil || out.Msg.ID != "AlreadyDoneIf" {
			t.Fatal(out, err)
		}
	})
}

// TestKubectlWaitLinesAreBash: every check kind of the built-in lessons
// that a kubectl script can wait for gives lines bash accepts.
func TestKubectlWaitLinesAreBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := byHandEnv(t)
	for _, name := range Kinds().CheckKinds() {
		example, _ := Example(name, true)
		spec, probs := lesson.ParseSpec("lesson.yaml", []byte("steps:\n  - id: x\n    action: {wait: {}}\n    checks:\n      - "+name+": "+example+"\n"), Kinds())
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		c, _ := NewCheck(spec.Steps[0].Checks[0])
		w, ok := c.(KubectlWaiter)
		if !ok {
			continue
		}
		for _, l := range w.KubectlWait(context.Background(), env, time.Minute) {
			if out, err := exec.Command(bash, "-n", "-c", l).CombinedOutput(); err != nil {
				t.Errorf("%s: bash rejects %q: %v\n%s", name, l, err, out)
			}
		}
	}
}

// TestValuesSeenScriptSlides runs the bash form of valuesSeen against a
// fake kubectl that answers 102 a few times, then only 100 and 101: it
// passes; one that keeps answering 102 times out.
func TestValuesSeenScriptSlides(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		answers string // what the fake kubectl answers, in turn, then the last forever
		ok      bool
	}{
		{"102 leaves", "102 100 102 101 100 101", true},
		{"102 stays", "100 102", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			script := fmt.Sprintf(`#!/bin/sh
n=$(cat %[1]s/n 2>/dev/null || echo 0); echo $((n+1)) > %[1]s/n
set -- %[2]s; shift $(( n < $# ? n : $# - 1 )); echo "$1"
`, dir, tc.answers)
			if err := os.WriteFile(filepath.Join(dir, "kubectl"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			env, _ := byHandEnv(t)
			c := &ValuesSeen{SQLTarget: SQLTarget{Service: "mysql-read"}, Query: "SELECT @@server_id", Window: lesson.Duration(300 * time.Millisecond), Exclude: []string{"102"}}
			lines := c.KubectlWait(context.Background(), env, 3*time.Second)
			cmd := exec.Command(bash, "-c", lines[0])
			cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("exit %v, want ok=%v\n%s\n%s", err, tc.ok, lines[0], out)
			}
		})
	}
}
