package workshop

import (
	"testing"
	"time"
)

func TestLearnerState(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name string
		in   stateInput
		want string
	}{
		{"nothing yet", stateInput{Reached: -1, Steps: 15}, StateNotStarted},
		{"all done", stateInput{Reached: 14, Steps: 15, Since: ago(time.Hour)}, StateDone},
		{"done even with an old crash", stateInput{Reached: 14, Steps: 15, BadSince: ago(5 * time.Minute)}, StateDone},
		{"working", stateInput{Reached: 2, Steps: 15, Since: ago(time.Minute), Timeout: 3 * time.Minute}, StateWorking},
		{"over the timeout", stateInput{Reached: 2, Steps: 15, Since: ago(4 * time.Minute), Timeout: 3 * time.Minute}, StateStuck},
		{"over the timeout, class is slow too", stateInput{Reached: 2, Steps: 15, Since: ago(4 * time.Minute), Timeout: 3 * time.Minute, Median: 3 * time.Minute}, StateWorking},
		{"over twice the median", stateInput{Reached: 2, Steps: 15, Since: ago(7 * time.Minute), Timeout: 3 * time.Minute, Median: 3 * time.Minute}, StateStuck},
		{"waiting for the instructor", stateInput{Reached: 8, Steps: 15, Since: ago(20 * time.Minute), Timeout: 5 * time.Minute, Instructor: true}, StateWorking},
		{"recent warning, no progress since", stateInput{Reached: 2, Steps: 15, Since: ago(time.Minute), Timeout: 3 * time.Minute, WarnAt: ago(30 * time.Second)}, StateStuck},
		{"warning before the last progress", stateInput{Reached: 2, Steps: 15, Since: ago(10 * time.Second), Timeout: 3 * time.Minute, WarnAt: ago(30 * time.Second)}, StateWorking},
		{"old warning", stateInput{Reached: 2, Steps: 15, Since: ago(3 * time.Minute), Timeout: 5 * time.Minute, WarnAt: ago(150 * time.Second)}, StateWorking},
		{"warning before starting", stateInput{Reached: -1, Steps: 15, WarnAt: ago(10 * time.Second)}, StateStuck},
		{"bad pod briefly", stateInput{Reached: 2, Steps: 15, Since: ago(time.Minute), Timeout: 3 * time.Minute, BadSince: ago(30 * time.Second)}, StateWorking},
		{"bad pod for a minute", stateInput{Reached: 2, Steps: 15, Since: ago(time.Minute), Timeout: 3 * time.Minute, BadSince: ago(61 * time.Second)}, StateFailing},
		{"failing before the first step", stateInput{Reached: -1, Steps: 15, BadSince: ago(2 * time.Minute)}, StateFailing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Now = now
			if got := learnerState(tc.in); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{{nil, 0}, {[]time.Duration{m, m}, 0}, {[]time.Duration{3 * m, m, 2 * m}, 2 * m}, {[]time.Duration{4 * m, m, 2 * m, 3 * m}, 3 * m}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
