package workshoptest

import (
	"fmt"
	"testing/fstest"
	"time"

	"github.com/kubetutor/kubetutor/runner/lesson"
	"github.com/kubetutor/kubetutor/runner/step"
	"github.com/kubetutor/kubetutor/runner/workshop"
)

// Clock is the fixed time of the fixtures.
var Clock = time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)

// lessonFS is a ten-step lesson shaped like the MySQL one; only its step
// IDs and titles matter to the views.
var lessonFS = fstest.MapFS{
	"demo/lesson.yaml": {Data: []byte(`order: 1
selector: app=demo
steps:
  - {id: apply-configmap, action: {apply: {files: [demo/a.yaml]}}, checks: [{exists: {kind: ConfigMap, name: demo}}]}
  - {id: apply-services, action: {apply: {files: [demo/a.yaml]}}, checks: [{exists: {kind: Service, name: demo}}]}
  - {id: apply-statefulset, action: {apply: {files: [demo/a.yaml]}}, checks: [{podsReady: {names: [demo-0, demo-1, demo-2]}}]}
  - {id: write-data, action: {apply: {files: [demo/a.yaml]}}, checks: [{sqlContains: {service: demo, query: SELECT 1, contains: "1"}}]}
  - {id: read-loop, action: {apply: {files: [demo/a.yaml]}}, checks: [{valuesSeen: {service: demo-read, query: SELECT 1, include: ["1"]}}]}
  - {id: delete-pod, action: {deletePod: {name: demo-2}}, checks: [{podsReady: {names: [demo-2]}}]}
  - {id: drain-node, action: {drain: {pod: demo-2}}, checks: [{podsReady: {names: [demo-2]}}]}
  - {id: uncordon-node, action: {uncordon: {}}, checks: [{uncordoned: {}}]}
  - {id: scale-up, action: {scale: {statefulSet: demo, replicas: 5}}, checks: [{podsReady: {names: [demo-3, demo-4]}}]}
  - {id: cleanup, action: {cleanup: {}}, checks: [{absent: {kind: Pod, selector: app=demo}}]}
`)},
	"demo/en.md": {Data: []byte(`# A replicated demo

A StatefulSet, step by step.

## Deploy <!-- section: deploy -->

### Apply the ConfigMap <!-- step: apply-configmap -->
### Create the Services <!-- step: apply-services -->
### Start the StatefulSet <!-- step: apply-statefulset -->

## Use it <!-- section: use -->

### Write to the primary <!-- step: write-data -->
### Watch reads spread over replicas <!-- step: read-loop -->

## Failures <!-- section: failures -->

### Delete a pod <!-- step: delete-pod -->
### Drain a node <!-- step: drain-node -->
### Uncordon the node <!-- step: uncordon-node -->

## Scale and clean up <!-- section: scale -->

### Scale up to five <!-- step: scale-up -->
### Delete everything the lesson made <!-- step: cleanup -->
`)},
	"demo/ja.md": {Data: []byte(`# レプリケーションのデモ

StatefulSet を一歩ずつ。

## デプロイする <!-- section: deploy -->

### ConfigMap を適用する <!-- step: apply-configmap -->
### Service を作る <!-- step: apply-services -->
### StatefulSet を起動する <!-- step: apply-statefulset -->

## 使ってみる <!-- section: use -->

### プライマリーに書き込む <!-- step: write-data -->
### 読み取りの分散を観察する <!-- step: read-loop -->

## 障害 <!-- section: failures -->

### Pod を削除する <!-- step: delete-pod -->
### ノードを drain する <!-- step: drain-node -->
### ノードを uncordon する <!-- step: uncordon-node -->

## スケールと後片付け <!-- section: scale -->

### 5 台にスケールアップする <!-- step: scale-up -->
### レッスンで作ったものをすべて削除する <!-- step: cleanup -->
`)},
}

// Lesson loads the ten-step fixture lesson "demo".
func Lesson() (*lesson.Lesson, error) {
	all, probs, err := lesson.LoadAll(lessonFS, "fixture", step.Kinds())
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("fixture lesson: %s", probs[0])
	}
	return all[0], nil
}

// learner is a row of Class.
func learner(name string, step int, ago time.Duration, state, warn string, warnAgo time.Duration) workshop.Learner {
	ids := []string{"", "apply-configmap", "apply-services", "apply-statefulset", "write-data", "read-loop",
		"delete-pod", "drain-node", "uncordon-node", "scale-up", "cleanup"}
	l := workshop.Learner{Name: name, Namespace: "k8s-0612-" + name, Step: ids[step], StepIndex: step, State: state, LastWarning: warn}
	if step > 0 {
		l.Since = Clock.Add(-ago)
	}
	if warn != "" {
		l.LastWarningAt = Clock.Add(-warnAgo)
	}
	return l
}

// Class is a workshop "k8s-0612" of the demo lesson with twelve learners
// in every state, in namespace order (as the evaluator lists them).
func Class() workshop.Snapshot {
	m := time.Minute
	return workshop.Snapshot{Workshop: "k8s-0612", Lesson: "demo", Learners: []workshop.Learner{
		learner("aiko", 7, 3*m, workshop.StateWorking, "", 0),
		learner("ben", 3, 6*m+12*time.Second, workshop.StateStuck, "BackOff: Back-off restarting failed container clone-mysql in pod demo-1", 40*time.Second),
		learner("chen", 10, 2*m, workshop.StateDone, "", 0),
		learner("dana", 7, 40*time.Second, workshop.StateWorking, "Unhealthy: Readiness probe failed", 9*m),
		learner("emre", 0, 0, workshop.StateNotStarted, "", 0),
		learner("farah", 3, 4*m, workshop.StateFailing, "FailedScheduling: 0/3 nodes are available: 3 Insufficient memory", 15*time.Second),
		learner("goro", 9, 1*m, workshop.StateWorking, "", 0),
		learner("hana", 5, 11*m, workshop.StateStuck, "", 0),
		learner("ivan", 7, 5*m, workshop.StateWorking, "", 0),
		learner("jun", 6, 2*m+30*time.Second, workshop.StateWorking, "Killing: Stopping container mysql", 3*m),
		learner("kira", 7, 1*m, workshop.StateWorking, "", 0),
		learner("leo", 2, 75*m, workshop.StateWorking, "", 0),
	}}
}

// BenDetail is the detail of learner "ben" of Class: three steps done (one
// pushed), an Inside step not yet verified, events and pods.
func BenDetail() workshop.Detail {
	s := Class()
	at := func(d time.Duration) time.Time { return Clock.Add(-d) }
	return workshop.Detail{
		Learner: s.Learners[1],
		Steps: []workshop.StepSeen{
			{ID: "apply-configmap", Done: true, How: "proven", At: at(14 * time.Minute)},
			{ID: "apply-services", Done: true, How: "proven", At: at(12 * time.Minute), Pushed: true},
			{ID: "apply-statefulset", Done: true, How: "proven", At: at(6*time.Minute + 12*time.Second)},
			{ID: "write-data", Inside: true},
			{ID: "read-loop", Inside: true},
			{ID: "delete-pod"}, {ID: "drain-node"}, {ID: "uncordon-node"}, {ID: "scale-up"}, {ID: "cleanup"},
		},
		Events: []workshop.Line{
			{At: at(5 * time.Minute), Text: "Scheduled: Successfully assigned k8s-0612-ben/demo-1 to w2"},
			{At: at(2 * time.Minute), Text: "Pulled: Container image \"kubetutor.local/mariadb:10.11\" already present on machine"},
			{At: at(40 * time.Second), Text: "BackOff: Back-off restarting failed container clone-mysql in pod demo-1", Warn: true},
		},
		Pods: []workshop.Line{
			{At: at(6 * time.Minute), Text: "demo-0  Running  2/2  w1"},
			{At: at(5 * time.Minute), Text: "demo-1  Init:CrashLoopBackOff  0/2  w2", Warn: true},
		},
	}
}
