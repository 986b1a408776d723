package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPIDRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    pidRecord
		wantErr bool
	}{
		{name: "written by String", in: pidRecord{PID: 42, StartTime: 12345}.String(), want: pidRecord{PID: 42, StartTime: 12345}},
		{name: "extra space", in: "  7   9 \n", want: pidRecord{PID: 7, StartTime: 9}},
		{name: "missing start time", in: "42\n", wantErr: true},
		{name: "zero pid", in: "0 1", wantErr: true},
		{name: "garbage", in: "x y", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePIDRecord(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	// The command name may hold spaces and parentheses.
	line := "1234 (kube (api) server) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 12 0 987654 1000 100 18446744073709551615"
	state, start, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if state != 'S' || start != 987654 {
		t.Fatalf("got state %c start %d, want S 987654", state, start)
	}
	if _, _, err := parseStat("1 (x) S 1"); err == nil {
		t.Fatal("short stat: want error")
	}
}

func TestOwnProcessAlive(t *testing.T) {
	_, st, err := procStat(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if !(pidRecord{PID: os.Getpid(), StartTime: st}).alive() {
		t.Fatal("own process not alive")
	}
	if (pidRecord{PID: os.Getpid(), StartTime: st + 1}).alive() {
		t.Fatal("a recycled PID (other start time) must not count as alive")
	}
}

func TestProcsPIDFiles(t *testing.T) {
	p := procs{l: layout{dir: t.TempDir()}}
	if err := os.MkdirAll(p.l.pids(), 0o755); err != nil {
		t.Fatal(err)
	}
	_, st, err := procStat(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	os.WriteFile(p.pidFile("self"), []byte(pidRecord{PID: os.Getpid(), StartTime: st}.String()), 0o644)
	os.WriteFile(p.pidFile("gone"), []byte("999999999 1\n"), 0o644)
	if got := strings.Join(p.names(), ","); got != "gone,self" {
		t.Fatalf("names = %s", got)
	}
	if _, ok := p.running("self"); !ok {
		t.Fatal("self not running")
	}
	if _, ok := p.running("gone"); ok {
		t.Fatal("gone reported running")
	}
}

func TestCacheKey(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		os.MkdirAll(filepath.Join(d, "coredns"), 0o755)
		os.WriteFile(filepath.Join(d, "go.mod"), []byte("module x\n"), 0o644)
		os.WriteFile(filepath.Join(d, "main.go"), []byte("package main\n"), 0o644)
		os.WriteFile(filepath.Join(d, "coredns", "main.go"), []byte("package main\n"), 0o644)
		os.WriteFile(filepath.Join(d, "README.txt"), []byte(d), 0o644) // not a source: ignored
	}
	ha, err := sourceHash(a)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := sourceHash(b)
	if ha != hb {
		t.Fatal("same sources in two clones must give the same hash")
	}
	os.WriteFile(filepath.Join(b, "coredns", "main.go"), []byte("package main // changed\n"), 0o644)
	if hc, _ := sourceHash(b); hc == ha {
		t.Fatal("changed source must change the hash")
	}
	k := cacheKey("go1.26.8", ha)
	if !strings.HasPrefix(k, "k8s-"+KubernetesVersion+"-") || k == cacheKey("go1.27", ha) {
		t.Fatalf("bad key %q", k)
	}
	if _, err := sourceHash(filepath.Join(a, "missing")); err == nil {
		t.Fatal("missing build module: want error")
	}
}

func TestRenderedConfigs(t *testing.T) {
	l := layout{dir: "/r/.lab"}
	kc := renderKubeletConfig(l, 2)
	for _, want := range []string{
		"address: 10.213.0.2", "cgroupRoot: /lab-worker-2", "failCgroupV1: false", "oomScoreAdj: 0",
		"imageGCHighThresholdPercent: 100", "resolvConf: /r/.lab/config/resolv.conf", "- 10.96.0.10",
		"containerRuntimeEndpoint: unix:///r/.lab/nodes/lab-worker-2/containerd.sock", "nodefs.available: 1%\n",
	} {
		if !strings.Contains(kc, want) {
			t.Errorf("kubelet config lacks %q:\n%s", want, kc)
		}
	}
	cc := renderContainerdConfig(l, 3)
	for _, want := range []string{
		"restrict_oom_score_adj = true", "SystemdCgroup = false", `sandbox_image = "kubetutor.local/pause:3.10"`,
		`conf_dir = "/r/.lab/nodes/lab-worker-3/cni/net.d"`, "oom_score = 0", `bin_dir = "/usr/lib/cni"`,
	} {
		if !strings.Contains(cc, want) {
			t.Errorf("containerd config lacks %q", want)
		}
	}
	cni := renderCNIConfig(l, 1, "10.244.7.0/24")
	for _, want := range []string{`"bridge": "lab-br1"`, `"subnet": "10.244.7.0/24"`, `"ipMasq": false`, `"hairpinMode": true`} {
		if !strings.Contains(cni, want) {
			t.Errorf("CNI config lacks %q:\n%s", want, cni)
		}
	}
	if strings.Contains(cni, "loopback") {
		t.Error("containerd sets up lo itself: no loopback plugin")
	}
	if got := renderResolvConf(); got != "nameserver 10.96.0.10\n" {
		t.Errorf("resolv.conf = %q: pods must only see the cluster DNS", got)
	}
	cf := renderCorefile(l)
	if strings.Contains(cf, "forward") || !strings.Contains(cf, "bind 10.213.0.53") {
		t.Errorf("Corefile must bind the lab address and forward nowhere:\n%s", cf)
	}
	k := renderKubeconfig(APIServerURL, []byte("CA"), []byte("C"), []byte("K"))
	if !strings.Contains(k, "server: https://127.0.0.1:6443") || !strings.Contains(k, "certificate-authority-data: Q0E=") {
		t.Errorf("kubeconfig:\n%s", k)
	}
}

func TestFlags(t *testing.T) {
	got := strings.Join(flags("a", "1", "b", "x,y"), " ")
	if got != "--a=1 --b=x,y" {
		t.Fatalf("flags = %q", got)
	}
	for _, a := range apiserverArgs(layout{dir: "/s"}) {
		if strings.HasPrefix(a, "--bind-address=") && a != "--bind-address=127.0.0.1" {
			t.Errorf("apiserver must listen on loopback only (clients of a stopped lab then never route out): %s", a)
		}
	}
}

func TestAddressesAreLocal(t *testing.T) {
	for _, a := range append(labAddresses(9), KubeDNSIP, KubernetesIP) {
		if !strings.HasPrefix(a, "10.213.") && !strings.HasPrefix(a, "10.96.") {
			t.Errorf("%s is outside the lab's blackholed ranges", a)
		}
	}
}

func TestParseSources(t *testing.T) {
	dir := t.TempDir()
	deb822 := filepath.Join(dir, "debian.sources")
	os.WriteFile(deb822, []byte(`Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`), 0o644)
	m, s := parseSources(deb822)
	if m != "http://mirror.example/debian" || s != "http://mirror.example/debian-security" {
		t.Fatalf("deb822: got %q %q", m, s)
	}
	oneLine := filepath.Join(dir, "sources.list")
	os.WriteFile(oneLine, []byte("# c\ndeb [arch=amd64] http://m.example/debian bookworm main\n"), 0o644)
	if m, _ := parseSources(oneLine); m != "http://m.example/debian" {
		t.Fatalf("one-line: got %q", m)
	}
}

func TestParsers(t *testing.T) {
	if got := parseRouteDevs("default via 192.0.2.1 dev eth0 \ndefault via x dev wlan0 metric 5\n"); strings.Join(got, ",") != "eth0,wlan0" {
		t.Errorf("route devs = %v", got)
	}
	rules := "-P FORWARD ACCEPT\n-N KUBE-FORWARD\n-N KUBETUTOR-LAB-FWD\n-N DOCKER\n-A FORWARD -j KUBE-FORWARD\n"
	if got := kubeChains(rules); len(got) != 1 || got[0] != "KUBE-FORWARD" {
		t.Errorf("kube chains = %v", got)
	}
	if got := labChains(rules); len(got) != 1 || got[0] != "KUBETUTOR-LAB-FWD" {
		t.Errorf("lab chains = %v", got)
	}
	e, ok := parseMountInfoLine(`36 35 98:0 /mnt1 /r/.lab/a\040b rw,noatime master:1 - overlay overlay rw`)
	if !ok || e.point != "/r/.lab/a b" || e.fstype != "overlay" {
		t.Errorf("mountinfo = %+v %v", e, ok)
	}
	shim := []byte("/usr/bin/containerd-shim-runc-v2\x00-namespace\x00k8s.io\x00-id\x00abc\x00-address\x00/r/.lab/nodes/lab-worker-1/containerd.sock\x00")
	if !isShimOf(shim, "/r/.lab/nodes/lab-worker-1/containerd.sock") || isShimOf(shim, "/run/containerd/containerd.sock") {
		t.Error("isShimOf")
	}
	if got := unquote([]string{"-m", "comment", "--comment", `"a`, `b"`, "-j", "X"}); strings.Join(got, "|") != "-m|comment|--comment|a b|-j|X" {
		t.Errorf("unquote = %q", got)
	}
}

func TestRecipeKeyStable(t *testing.T) {
	if recipeKey() != recipeKey() || len(recipeKey()) != 12 {
		t.Fatal("recipe key must be a stable 12-hex string")
	}
}

func TestCertStemsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range certSpecs(3) {
		if seen[s.name] {
			t.Errorf("two certificates share the file stem %q", s.name)
		}
		seen[s.name] = true
	}
}
