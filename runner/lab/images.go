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

// imageSet locates the image tarballs of one build and recipe.
type imageSet struct{ dir string }

func newImageSet(b binaries) imageSet {
	return imageSet{dir: filepath.Join(filepath.Dir(b.dir), "images-"+recipeKey())}
}

// tarballs returns the image archives, pause first.
func (s imageSet) tarballs() []string {
	return []string{filepath.Join(s.dir, "pause.tar"), filepath.Join(s.dir, "mariadb.tar")}
}

func (s imageSet) complete() bool {
	_, err := os.Stat(filepath.Join(s.dir, ".complete"))
	return err == nil
}

// ensureImages builds both image tarballs (docker-archive format, loadable by
// `ctr images import`, `docker load` and `kind load image-archive`).
func ensureImages(ctx context.Context, o Options, b binaries, s imageSet) error {
	if s.complete() {
		return nil
	}
	root, err := ensureRootfs(ctx, o)
	if err != nil {
		return err
	}
	tmp := s.dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
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
	if err := run(ctx, "tar", []string{"--numeric-owner", "--xattrs", "-C", root, "-cf", layerTar, "."}); err != nil {
		return fmt.Errorf("pack rootfs: %w", err)
	}
	err = writeImage(filepath.Join(tmp, "mariadb.tar"), MariaDBImage, layerTar, v1.Config{
		Entrypoint:   []string{"docker-entrypoint.sh"},
		Cmd:          []string{"mariadbd"},
		Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"},
		ExposedPorts: map[string]struct{}{"3306/tcp": {}},
		Volumes:      map[string]struct{}{"/var/lib/mysql": {}},
		WorkingDir:   "/",
	})
	os.Remove(layerTar)
	if err != nil {
		return fmt.Errorf("mariadb image: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return err
	}
	os.RemoveAll(s.dir)
	return os.Rename(tmp, s.dir)
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
	return writeImage(out, PauseImage, layerTar, v1.Config{Entrypoint: []string{"/pause"}})
}

// writeImage builds a one-layer image from an uncompressed layer tar and
// writes it as a docker-archive tarball tagged ref.
func writeImage(out, ref, layerTar string, cfg v1.Config) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromFile(layerTar, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
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

// importImages loads every tarball into one node's containerd, once per
// image set (a marker in the node's state remembers it).
func importImages(ctx context.Context, l layout, i int, s imageSet) error {
	marker := filepath.Join(l.node(i), "imported-"+filepath.Base(s.dir))
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	for _, t := range s.tarballs() {
		args := []string{"--address", l.containerdSock(i), "-n", "k8s.io", "images", "import", t}
		if err := run(ctx, "ctr", args); err != nil {
			return fmt.Errorf("import %s into %s: %w", filepath.Base(t), NodeName(i), err)
		}
	}
	return os.WriteFile(marker, nil, 0o644)
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
