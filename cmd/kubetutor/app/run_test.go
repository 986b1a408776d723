package app

import (
	"errors"
	"strings"
	"testing"
)

func TestRunWithoutAutoPointsToTheTUI(t *testing.T) {
	_, stderr, err := run(t, nil, "--lang", "en", "run", "mysql")
	var exit ExitError
	if !errors.As(err, &exit) || exit.Code != 2 {
		t.Fatalf("err = %v, want exit 2", err)
	}
	if !strings.Contains(stderr, "kubetutor open mysql") {
		t.Fatalf("stderr %q", stderr)
	}
}

func TestRunWatchAndAutoExcludeEachOther(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		_, stderr, err := run(t, nil, "--lang", lang, "run", "mysql", "--watch", "--auto")
		var exit ExitError
		if !errors.As(err, &exit) || exit.Code != 2 || !strings.Contains(stderr, "--watch") || !strings.Contains(stderr, "--auto") {
			t.Fatalf("%s: err = %v, stderr %q", lang, err, stderr)
		}
	}
	_, _, err := run(t, nil, "--lang", "en", "run", "mysql", "--watch", "--timeout", "-1s", "--kubeconfig", "/nonexistent")
	if err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunFlagErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"output", []string{"--output", "yaml"}, "unknown output format"},
		{"image form", []string{"--image", "mariadb"}, "is not NAME=REF"},
		{"image name", []string{"--image", "postgres=x"}, "no image named \"postgres\""},
		{"step", []string{"--step", "nope"}, "no step \"nope\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--lang", "en", "run", "mysql", "--auto", "--kubeconfig", "/nonexistent"}, tc.args...)
			_, _, err := run(t, nil, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
