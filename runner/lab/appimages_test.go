package lab

import (
	"archive/tar"
	"context"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The MariaDB rootfs and image keys are pinned: a change here means every
// lab rebuilds the MariaDB rootfs (minutes of apt) or re-imports its image.
// Change the pins only on purpose.
func TestMariaDBKeysPinned(t *testing.T) {
	if got := mariadbRootfs().key(); got != "4eabd0b4f6d2" {
		t.Errorf("MariaDB rootfs key = %s, want 4eabd0b4f6d2", got)
	}
	if got := recipeKey(); got != "68242f75139b" {
		t.Errorf("MariaDB image recipe key = %s, want 68242f75139b", got)
	}
	o := Options{CacheDir: "/c"}
	if got := mariadbRootfs().dir(o); got != "/c/rootfs-bookworm-4eabd0b4f6d2" {
		t.Errorf("MariaDB rootfs dir = %s", got)
	}
	if got := smallRootfs().dir(o); got == mariadbRootfs().dir(o) || !strings.HasPrefix(got, "/c/rootfs-bookworm-small-") {
		t.Errorf("small rootfs dir = %s, want a directory of its own", got)
	}
}

// writeMehdbTree writes a minimal copy of mehdb's sources and go.mod.
func writeMehdbTree(t *testing.T, dir, goLine string) {
	t.Helper()
	files := map[string]string{
		"go.mod":                     "module x\n\n" + goLine + "\n\nrequire y v1\n",
		"cmd/mehdb/main.go":          "package main\n",
		"runner/mehdb/server.go":     "package mehdb\n",
		"runner/mehdb/a_test.go":     "package mehdb\n",
		"runner/lab/unrelated.go":    "package lab\n",
		"runner/mehdb/testdata/x.go": "package x\n",
	}
	for f, content := range files {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMehdbSourceHash(t *testing.T) {
	base := t.TempDir()
	writeMehdbTree(t, base, "go 1.26.8")
	want, err := mehdbSourceHash(base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		change  func(dir string)
		changed bool
	}{
		{name: "same sources in another clone"},
		{name: "server source", changed: true, change: func(d string) {
			os.WriteFile(filepath.Join(d, "runner/mehdb/server.go"), []byte("package mehdb // changed\n"), 0o644)
		}},
		{name: "new source file", changed: true, change: func(d string) {
			os.WriteFile(filepath.Join(d, "runner/mehdb/sync.go"), []byte("package mehdb\n"), 0o644)
		}},
		{name: "main", changed: true, change: func(d string) {
			os.WriteFile(filepath.Join(d, "cmd/mehdb/main.go"), []byte("package main // changed\n"), 0o644)
		}},
		{name: "go directive", changed: true, change: func(d string) {
			writeMehdbTree(t, d, "go 1.27")
		}},
		{name: "a test", change: func(d string) {
			os.WriteFile(filepath.Join(d, "runner/mehdb/a_test.go"), []byte("package mehdb // changed\n"), 0o644)
		}},
		{name: "another package", change: func(d string) {
			os.WriteFile(filepath.Join(d, "runner/lab/unrelated.go"), []byte("package lab // changed\n"), 0o644)
		}},
		{name: "a dependency in go.mod", change: func(d string) {
			os.WriteFile(filepath.Join(d, "go.mod"), []byte("module x\n\ngo 1.26.8\n\nrequire y v2\n"), 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			writeMehdbTree(t, d, "go 1.26.8")
			if tt.change != nil {
				tt.change(d)
			}
			got, err := mehdbSourceHash(d)
			if err != nil {
				t.Fatal(err)
			}
			if (got != want) != tt.changed {
				t.Errorf("hash changed = %v, want %v", got != want, tt.changed)
			}
		})
	}
	os.RemoveAll(filepath.Join(base, "cmd"))
	if _, err := mehdbSourceHash(base); err == nil {
		t.Error("missing cmd/mehdb: want an error")
	}
}

func TestAppImageKeys(t *testing.T) {
	k := mehdbImageKey("go1.26.8", "src1")
	if len(k) != 12 || k != mehdbImageKey("go1.26.8", "src1") {
		t.Fatalf("mehdb key %q must be a stable 12-hex string", k)
	}
	if k == mehdbImageKey("go1.26.8", "src2") || k == mehdbImageKey("go1.27", "src1") {
		t.Error("the mehdb key must change with the sources and the toolchain")
	}
	s1 := newImageSet(Options{CacheDir: "/c"}, binaries{dir: "/c/k8s-x/bin"}, mehdbImageKey("go1.26.8", "src1"))
	s2 := newImageSet(Options{CacheDir: "/c"}, binaries{dir: "/c/k8s-x/bin"}, mehdbImageKey("go1.26.8", "src2"))
	if s1.core.dir != s2.core.dir || s1.jump.dir != s2.jump.dir || s1.mehdb.dir == s2.mehdb.dir {
		t.Errorf("a mehdb change must move only the mehdb bundle:\n%+v\n%+v", s1, s2)
	}
	want := []string{
		"/c/k8s-x/images-" + recipeKey() + "/pause.tar",
		"/c/k8s-x/images-" + recipeKey() + "/mariadb.tar",
		"/c/images-mehdb-" + mehdbImageKey("go1.26.8", "src1") + "/mehdb.tar",
		"/c/images-jump-" + jumpImageKey() + "/jump.tar",
	}
	if got := s1.tarballs(); !slices.Equal(got, want) {
		t.Errorf("tarballs =\n%q\nwant\n%q", got, want)
	}
}

// TestMehdbImportsOnlyStdlib holds what mehdbSourceHash relies on: the
// mehdb binary is built from mehdbSources and the standard library only.
func TestMehdbImportsOnlyStdlib(t *testing.T) {
	repo, err := FindRepoDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range mehdbSources {
		files, _ := filepath.Glob(filepath.Join(repo, d, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				first, _, _ := strings.Cut(p, "/")
				if strings.Contains(first, ".") && p != "github.com/kubetutor/kubetutor/runner/mehdb" {
					t.Errorf("%s imports %s: the mehdb image key hashes only %v (add it to mehdbSources)", f, p, mehdbSources)
				}
			}
		}
	}
}

func TestAppImages(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"usr/local/bin", "usr/bin", "etc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "usr/bin/curl"), []byte("curl"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("127.0.0.1 localhost\n"), 0o644)
	bin := filepath.Join(dir, "mehdb-bin")
	os.WriteFile(bin, []byte("\x7fELF mehdb"), 0o755)

	base := filepath.Join(dir, "base.tar")
	if err := packRootfs(context.Background(), root, base, true); err != nil {
		t.Fatal(err)
	}
	mehdbTar, jumpTar := filepath.Join(dir, "mehdb.tar"), filepath.Join(dir, "jump.tar")
	if err := writeAppImage(mehdbTar, MehdbImage, base, bin, mehdbConfig()); err != nil {
		t.Fatal(err)
	}
	if err := writeAppImage(jumpTar, JumpImage, base, "", jumpConfig()); err != nil {
		t.Fatal(err)
	}

	load := func(path, ref string) []string {
		tag, err := name.NewTag(ref)
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.ImageFromPath(path, &tag)
		if err != nil {
			t.Fatalf("%s does not hold %s: %v", path, ref, err)
		}
		layers, _ := img.Layers()
		var digests []string
		for _, l := range layers {
			d, _ := l.DiffID()
			digests = append(digests, d.String())
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		t.Logf("%s: %d layers, Cmd %q, WorkingDir %q, User %q", ref, len(layers), c.Cmd, c.WorkingDir, c.User)
		switch ref {
		case MehdbImage:
			_, port := c.ExposedPorts["9876/tcp"]
			if !slices.Equal(c.Cmd, []string{"/usr/local/bin/mehdb"}) || c.WorkingDir != "/app" || !port || c.User != "0:0" || len(c.Entrypoint) != 0 {
				t.Errorf("mehdb config = %+v", c)
			}
			top := layers[len(layers)-1]
			rc, err := top.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			tr := tar.NewReader(rc)
			found := false
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if h.Name == "usr/local/bin/mehdb" {
					b, _ := io.ReadAll(tr)
					found = h.Mode == 0o755 && string(b) == "\x7fELF mehdb"
				}
			}
			if !found {
				t.Error("the mehdb layer lacks an executable /usr/local/bin/mehdb")
			}
		case JumpImage:
			if !slices.Equal(c.Cmd, []string{"sleep", "infinity"}) || c.User != "" {
				t.Errorf("jump config = %+v", c)
			}
		}
		if cf.OS != "linux" || !slices.Contains(c.Env, "PATH="+imagePATH) {
			t.Errorf("%s: OS %q Env %q", ref, cf.OS, c.Env)
		}
		return digests
	}
	mehdbLayers := load(mehdbTar, MehdbImage)
	jumpLayers := load(jumpTar, JumpImage)
	if len(mehdbLayers) != 2 || len(jumpLayers) != 1 || mehdbLayers[0] != jumpLayers[0] {
		t.Errorf("mehdb layers %v, jump layers %v: want mehdb = jump's base layer + the binary", mehdbLayers, jumpLayers)
	}
}

func TestImportMarkers(t *testing.T) {
	l := layout{dir: t.TempDir()}
	os.MkdirAll(l.node(1), 0o755)
	build := func(key string) imageBundle {
		return imageBundle{name: "mehdb", dir: "/c/images-mehdb-" + key, files: []string{"mehdb.tar"}}
	}
	a, b := build("aaa"), build("bbb")
	jump := imageBundle{name: "jump", dir: "/c/images-jump-j", files: []string{"jump.tar"}}
	steps := []struct {
		name string
		mark *imageBundle
		want map[*imageBundle]bool
	}{
		{name: "fresh node", want: map[*imageBundle]bool{&a: false, &b: false, &jump: false}},
		{name: "A imported", mark: &a, want: map[*imageBundle]bool{&a: true, &b: false, &jump: false}},
		{name: "B imported over A", mark: &b, want: map[*imageBundle]bool{&a: false, &b: true, &jump: false}},
		{name: "back to A", mark: &a, want: map[*imageBundle]bool{&a: true, &b: false, &jump: false}},
		{name: "another bundle is separate", mark: &jump, want: map[*imageBundle]bool{&a: true, &b: false, &jump: true}},
	}
	for _, st := range steps {
		if st.mark != nil {
			if err := markImported(l, 1, *st.mark); err != nil {
				t.Fatal(err)
			}
		}
		for bundle, want := range st.want {
			if got := imported(l, 1, *bundle); got != want {
				t.Errorf("%s: imported(%s) = %v, want %v", st.name, bundle.dir, got, want)
			}
		}
		if imported(l, 2, a) {
			t.Errorf("%s: another node must not count as imported", st.name)
		}
	}
}
