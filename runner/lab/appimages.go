package lab

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// imagePATH is the PATH of every image the lab builds.
const imagePATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// smallPackages go into the small rootfs under the mehdb and jump images:
// curl for the lesson's requests (getent, for DNS lookups, is in the
// essential libc-bin). No ca-certificates: nothing in the lab speaks TLS
// to the outside.
var smallPackages = []string{"curl"}

// smallRootfs is the rootfs of the mehdb and jump images. It is not the
// MariaDB rootfs plus curl: a package added there would change that
// rootfs's key and rebuild MariaDB's image.
func smallRootfs() rootfsRecipe {
	// Translations are a quarter of it, and the lesson's output is curl's.
	return rootfsRecipe{name: "small", packages: smallPackages, version: "small rootfs 1", prune: []string{"usr/share/locale/*"}}
}

// mehdbSources are the repository's directories whose Go files (tests
// excluded) make the mehdb binary; it imports only the standard library
// besides them (a unit test holds that), so they and the go directive of
// go.mod are all the key needs to hash.
var mehdbSources = []string{"cmd/mehdb", "runner/mehdb"}

// mehdbBinaryPath is where the mehdb image holds the binary.
const mehdbBinaryPath = "usr/local/bin/mehdb"

// mehdbConfig is the mehdb image's configuration: root (the lab's host-path
// volumes are root's, mode 0750, and ignore fsGroup), working directory
// /app as upstream's image.
func mehdbConfig() v1.Config {
	return v1.Config{
		Cmd:          []string{"/" + mehdbBinaryPath},
		Env:          []string{"PATH=" + imagePATH},
		ExposedPorts: map[string]struct{}{"9876/tcp": {}},
		WorkingDir:   "/app",
		User:         "0:0",
	}
}

// jumpConfig is the client image's configuration: it waits for `kubectl
// exec` (the lesson's jumpod runs curl in it).
func jumpConfig() v1.Config {
	return v1.Config{
		Cmd:        []string{"sleep", "infinity"},
		Env:        []string{"PATH=" + imagePATH},
		WorkingDir: "/",
	}
}

// mehdbSourceHash hashes mehdb's sources in the repository (relative path
// and content, in a stable order) and the go directive of go.mod.
func mehdbSourceHash(repoDir string) (string, error) {
	var files []string
	for _, d := range mehdbSources {
		m, err := filepath.Glob(filepath.Join(repoDir, d, "*.go"))
		if err != nil {
			return "", err
		}
		n := 0
		for _, f := range m {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
				n++
			}
		}
		if n == 0 {
			return "", fmt.Errorf("no mehdb sources in %s", filepath.Join(repoDir, d))
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		rel, _ := filepath.Rel(repoDir, f)
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	mod, err := os.ReadFile(filepath.Join(repoDir, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if strings.HasPrefix(line, "go ") {
			fmt.Fprintf(h, "%s\n", line)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// mehdbImageKey names the mehdb image's build: the small rootfs, the Go
// toolchain, mehdb's sources and the image configuration.
func mehdbImageKey(goVersion, srcHash string) string {
	cfg, _ := json.Marshal(mehdbConfig())
	h := sha256.New()
	fmt.Fprintf(h, "mehdb image 1\n%s\n%s\n%s\n%s\n", smallRootfs().key(), goVersion, srcHash, cfg)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// jumpImageKey names the jump image's build: the small rootfs and the
// image configuration.
func jumpImageKey() string {
	cfg, _ := json.Marshal(jumpConfig())
	h := sha256.New()
	fmt.Fprintf(h, "jump image 1\n%s\n%s\n", smallRootfs().key(), cfg)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureAppImages builds the mehdb and jump tarballs that are missing: the
// small rootfs packed once as their shared base layer, plus, for mehdb, a
// layer with the binary built from this repository.
func ensureAppImages(ctx context.Context, o Options, s imageSet) error {
	if s.mehdb.complete() && s.jump.complete() {
		return nil
	}
	root, err := ensureRootfs(ctx, o, smallRootfs())
	if err != nil {
		return err
	}
	// A fixed name: what an interrupted build left is removed next time.
	work := filepath.Join(o.CacheDir, "app-images.tmp")
	os.RemoveAll(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(work)
	base := filepath.Join(work, "rootfs-layer.tar")
	if err := packRootfs(ctx, root, base, true); err != nil {
		return err
	}
	if !s.mehdb.complete() {
		bin := filepath.Join(work, "mehdb")
		if err := buildMehdb(ctx, o.RepoDir, bin); err != nil {
			return err
		}
		if err := buildBundle(s.mehdb, func(tmp string) error {
			return writeAppImage(filepath.Join(tmp, "mehdb.tar"), MehdbImage, base, bin, mehdbConfig())
		}); err != nil {
			return fmt.Errorf("mehdb image: %w", err)
		}
	}
	if !s.jump.complete() {
		if err := buildBundle(s.jump, func(tmp string) error {
			return writeAppImage(filepath.Join(tmp, "jump.tar"), JumpImage, base, "", jumpConfig())
		}); err != nil {
			return fmt.Errorf("jump image: %w", err)
		}
	}
	return nil
}

// buildMehdb builds cmd/mehdb of the repository as a static binary.
func buildMehdb(ctx context.Context, repoDir, out string) error {
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd/mehdb"}
	env := []string{"CGO_ENABLED=0", "GOFLAGS=-buildvcs=false -mod=readonly", "GOWORK=off"}
	if err := runIn(ctx, repoDir, "go", args, env...); err != nil {
		return fmt.Errorf("build mehdb in %s: %w", repoDir, err)
	}
	return nil
}

// writeAppImage writes an image of the base layer tar and, when bin is
// set, a layer holding bin at mehdbBinaryPath and an empty /app.
func writeAppImage(out, ref, baseTar, bin string, cfg v1.Config) error {
	base, err := layerFromFile(baseTar)
	if err != nil {
		return err
	}
	layers := []v1.Layer{base}
	if bin != "" {
		binTar := out + ".layer"
		if err := writeBinaryLayer(bin, binTar); err != nil {
			return err
		}
		defer os.Remove(binTar)
		l, err := layerFromFile(binTar)
		if err != nil {
			return err
		}
		layers = append(layers, l)
	}
	return writeImage(out, ref, layers, cfg)
}

// writeBinaryLayer writes a layer tar with the binary at mehdbBinaryPath
// and the image's working directory. The parent directories are listed
// with the modes the rootfs gives them, so the layer changes nothing else.
func writeBinaryLayer(bin, out string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	for _, d := range []string{"app/", "usr/", "usr/local/", "usr/local/bin/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, ModTime: epoch, Typeflag: tar.TypeDir}); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: mehdbBinaryPath, Mode: 0o755, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
