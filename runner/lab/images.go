package lab

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageSet locates the image tarballs of one build. They come in bundles,
// each a cache directory with a key of its own, so a change to one (a new
// mehdb) neither rebuilds nor re-imports the others.
type imageSet struct {
	// core holds pause and MariaDB, beside the Kubernetes binaries (pause
	// is built with them).
	core imageBundle
	// mehdb and jump are the mehdb lesson's images on the small rootfs.
	mehdb, jump imageBundle
}

// imageBundle is one cache directory of image tarballs, complete once it
// holds a .complete marker.
type imageBundle struct {
	// name is the bundle's role ("core", "mehdb", "jump"); its builds
	// carry the same image tags, so a node remembers per name which build
	// it imported last.
	name  string
	dir   string
	files []string // tarball names, in import order
}

func (b imageBundle) tarballs() []string {
	out := make([]string, len(b.files))
	for i, f := range b.files {
		out[i] = filepath.Join(b.dir, f)
	}
	return out
}

func (b imageBundle) complete() bool {
	_, err := os.Stat(filepath.Join(b.dir, ".complete"))
	return err == nil
}

// newImageSet locates the images of binaries b; mehdbKey is
// mehdbImageKey's result for the sources in the repository.
func newImageSet(o Options, b binaries, mehdbKey string) imageSet {
	return imageSet{
		core: imageBundle{name: "core", dir: filepath.Join(filepath.Dir(b.dir), "images-"+recipeKey()),
			files: []string{"pause.tar", "mariadb.tar"}},
		mehdb: imageBundle{name: "mehdb", dir: filepath.Join(o.CacheDir, "images-mehdb-"+mehdbKey), files: []string{"mehdb.tar"}},
		jump:  imageBundle{name: "jump", dir: filepath.Join(o.CacheDir, "images-jump-"+jumpImageKey()), files: []string{"jump.tar"}},
	}
}

func (s imageSet) bundles() []imageBundle { return []imageBundle{s.core, s.mehdb, s.jump} }

// tarballs returns every image archive, pause first.
func (s imageSet) tarballs() []string {
	var out []string
	for _, b := range s.bundles() {
		out = append(out, b.tarballs()...)
	}
	return out
}

// ensureCoreImages builds the pause and MariaDB tarballs (docker-archive
// format, loadable by `ctr images import`, `docker load` and `kind load
// image-archive`).
func ensureCoreImages(ctx context.Context, o Options, b binaries, bundle imageBundle) error {
	if bundle.complete() {
		return nil
	}
	root, err := ensureRootfs(ctx, o, mariadbRootfs())
	if err != nil {
		return err
	}
	return buildBundle(bundle, func(tmp string) error {
		if err := writePauseImage(b.path("pause"), filepath.Join(tmp, "pause.tar")); err != nil {
			return fmt.Errorf("pause image: %w", err)
		}
		// The entrypoint is written at image time, so changing it does not
		// need a new rootfs.
		ep := filepath.Join(root, "usr/local/bin/docker-entrypoint.sh")
		if err := os.WriteFile(ep, []byte(entrypointScript), 0o755); err != nil {
			return err
		}
		layerTar := filepath.Join(tmp, "rootfs-layer.tar")
		if err := packRootfs(ctx, root, layerTar, false); err != nil {
			return err
		}
		defer os.Remove(layerTar)
		layer, err := layerFromFile(layerTar)
		if err != nil {
			return err
		}
		err = writeImage(filepath.Join(tmp, "mariadb.tar"), MariaDBImage, []v1.Layer{layer}, v1.Config{
			Entrypoint:   []string{"docker-entrypoint.sh"},
			Cmd:          []string{"mariadbd"},
			Env:          []string{"PATH=" + imagePATH, "LANG=C.UTF-8"},
			ExposedPorts: map[string]struct{}{"3306/tcp": {}},
			Volumes:      map[string]struct{}{"/var/lib/mysql": {}},
			WorkingDir:   "/",
		})
		if err != nil {
			return fmt.Errorf("mariadb image: %w", err)
		}
		return nil
	})
}

// buildBundle runs fill on a temporary directory and, when it succeeds,
// marks it complete and moves it to the bundle's place, so an interrupted
// build is never taken for a finished one.
func buildBundle(b imageBundle, fill func(tmp string) error) error {
	tmp := b.dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return err
	}
	os.RemoveAll(b.dir)
	return os.Rename(tmp, b.dir)
}

// packRootfs writes the rootfs as an uncompressed layer tar. sorted orders
// the entries by name, so packing the same rootfs twice gives the same
// layer digest (the mehdb and jump images then share their base layer).
func packRootfs(ctx context.Context, root, out string, sorted bool) error {
	args := []string{"--numeric-owner", "--xattrs", "-C", root, "-cf", out}
	if sorted {
		args = append([]string{"--sort=name"}, args...)
	}
	if err := run(ctx, "tar", append(args, ".")); err != nil {
		return fmt.Errorf("pack rootfs %s: %w", root, err)
	}
	return nil
}

// writePauseImage packs the static pause binary as the only file of an image.
func writePauseImage(bin, out string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	tw.Write(data)
	if err := tw.Close(); err != nil {
		return err
	}
	layerTar := out + ".layer"
	if err := os.WriteFile(layerTar, buf.Bytes(), 0o644); err != nil {
		return err
	}
	defer os.Remove(layerTar)
	layer, err := layerFromFile(layerTar)
	if err != nil {
		return err
	}
	return writeImage(out, PauseImage, []v1.Layer{layer}, v1.Config{Entrypoint: []string{"/pause"}})
}

// layerFromFile is an uncompressed layer tar, gzipped fast when written.
func layerFromFile(layerTar string) (v1.Layer, error) {
	return tarball.LayerFromFile(layerTar, tarball.WithCompressionLevel(gzip.BestSpeed))
}

// writeImage builds an image of the layers (bottom first) and writes it as
// a docker-archive tarball tagged ref.
func writeImage(out, ref string, layers []v1.Layer, cfg v1.Config) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = runtime.GOARCH, "linux"
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config = cfg
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, tag, img)
}

// importImages loads the tarballs of every bundle that worker i's
// containerd does not hold yet into it.
func importImages(ctx context.Context, l layout, i int, s imageSet) error {
	for _, b := range s.bundles() {
		if imported(l, i, b) {
			continue
		}
		for _, t := range b.tarballs() {
			args := []string{"--address", l.containerdSock(i), "-n", "k8s.io", "images", "import", t}
			if err := run(ctx, "ctr", args); err != nil {
				return fmt.Errorf("import %s into %s: %w", filepath.Base(t), NodeName(i), err)
			}
		}
		if err := markImported(l, i, b); err != nil {
			return err
		}
	}
	return nil
}

// importMarker is the file in worker i's state that names the build of a
// bundle last imported there. It is per bundle name, not per build: after
// builds A, B and A again (a branch switched back), the tags point at B's
// images until A is imported again.
func importMarker(l layout, i int, b imageBundle) string {
	return filepath.Join(l.node(i), "imported-"+b.name)
}

// imported reports whether b's build is the one last imported on worker i.
func imported(l layout, i int, b imageBundle) bool {
	cur, err := os.ReadFile(importMarker(l, i, b))
	return err == nil && string(cur) == filepath.Base(b.dir)
}

func markImported(l layout, i int, b imageBundle) error {
	return os.WriteFile(importMarker(l, i, b), []byte(filepath.Base(b.dir)), 0o644)
}

// Images builds (or reuses) the lab's binaries and image tarballs and prints
// the tarballs' paths, one per line, so they can be loaded into kind
// (`kind load image-archive PATH`) or minikube (`minikube image load PATH`).
func Images(ctx context.Context, o Options) error {
	o, err := o.complete()
	if err != nil {
		return err
	}
	if err := requireRoot(); err != nil {
		return err
	}
	_, s, err := prepare(ctx, o, reporter{out: o.Out})
	if err != nil {
		return err
	}
	for _, t := range s.tarballs() {
		fmt.Fprintln(o.Out, t)
	}
	return nil
}
