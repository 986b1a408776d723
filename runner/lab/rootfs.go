package lab

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// imagePackages are installed into the Debian rootfs of the lesson image.
var imagePackages = []string{"mariadb-server", "mariadb-client", "mariadb-backup", "ncat", "procps", "bash"}

// entrypointScript initialises an empty datadir the way the official
// MariaDB image does (empty root password, only root@localhost and root@%),
// then runs mariadbd. When the first argument is not an option, it runs that
// command instead, so `command: [bash, -c, ...]` works.
const entrypointScript = `#!/bin/bash
set -eo pipefail
if [ "$#" -gt 0 ] && [ "${1:0:1}" != "-" ]; then
	case "$1" in
	mariadbd | mysqld) shift ;;
	*) exec "$@" ;;
	esac
fi
DATADIR="$(mariadbd --verbose --help "$@" 2>/dev/null | awk '$1 == "datadir" { print $2; exit }')"
DATADIR="${DATADIR:-/var/lib/mysql/}"
mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql /run/mysqld
if [ ! -d "$DATADIR/mysql" ]; then
	echo "entrypoint: initialising $DATADIR"
	chown -R mysql:mysql "$DATADIR"
	# --rpm skips the host name check (a pod's host name need not resolve yet).
	mariadb-install-db --user=mysql --datadir="$DATADIR" --rpm --skip-test-db \
		--auth-root-authentication-method=normal --skip-name-resolve --skip-log-bin
	sock=/run/mysqld/init.sock
	mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket="$sock" "$@" &
	pid=$!
	for _ in $(seq 120); do
		mariadb --protocol=socket --socket="$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
		sleep 0.5
	done
	mariadb --protocol=socket --socket="$sock" -uroot <<-'SQL'
		SET @@SESSION.SQL_LOG_BIN=0;
		DELETE FROM mysql.global_priv WHERE NOT (User = 'root' AND Host = 'localhost') AND User <> 'mariadb.sys';
		FLUSH PRIVILEGES;
		CREATE USER 'root'@'%' IDENTIFIED BY '';
		GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
		FLUSH PRIVILEGES;
	SQL
	kill "$pid"
	wait "$pid" || true
	echo "entrypoint: initialised"
fi
chown -R mysql:mysql "$DATADIR"
exec mariadbd --user=mysql --bind-address=0.0.0.0 "$@"
`

// rootfsRecipe is one cached Debian rootfs: debootstrap's minbase variant
// of DebianSuite plus packages (without recommends). Each recipe has a
// cache directory of its own, so adding one never rebuilds another.
type rootfsRecipe struct {
	// name goes into the cache directory's name; empty for the MariaDB
	// rootfs, whose directory name predates the others.
	name     string
	packages []string
	// version is hashed into the key: bump it when the steps change.
	version string
	// prune lists globs (relative to the rootfs) removed after the
	// install, on top of what every rootfs drops (docs, man pages, apt
	// lists).
	prune []string
}

// mariadbRootfs is the rootfs of the MariaDB image.
func mariadbRootfs() rootfsRecipe {
	return rootfsRecipe{packages: imagePackages, version: "rootfs 1"}
}

// key hashes what decides the rootfs's contents.
func (r rootfsRecipe) key() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", r.version, DebianSuite, strings.Join(r.packages, " "))
	if len(r.prune) > 0 { // absent from older recipes' keys
		fmt.Fprintf(h, "prune %s\n", strings.Join(r.prune, " "))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// dir is the recipe's cache directory.
func (r rootfsRecipe) dir(o Options) string {
	name := "rootfs-" + DebianSuite
	if r.name != "" {
		name += "-" + r.name
	}
	return filepath.Join(o.CacheDir, name+"-"+r.key())
}

// complete reports whether the recipe's rootfs is in the cache.
func (r rootfsRecipe) complete(o Options) bool {
	_, err := os.Stat(filepath.Join(r.dir(o), ".complete"))
	return err == nil
}

// recipeKey hashes everything that decides the MariaDB and pause images'
// contents: the rootfs, the entrypoint and the image configuration's
// version.
func recipeKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "images 1\n%s\n%s\n", mariadbRootfs().key(), entrypointScript)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// aptMirrors returns the Debian mirror and security mirror that the host's
// apt uses, so debootstrap reaches the same (and only that) repository.
func aptMirrors() (mirror, security string) {
	mirror, security = "http://deb.debian.org/debian", "http://deb.debian.org/debian-security"
	var files []string
	files = append(files, "/etc/apt/sources.list")
	more, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append(files, more...)
	foundMain, foundSec := false, false
	for _, f := range files {
		m, s := parseSources(f)
		if m != "" && !foundMain {
			mirror, foundMain = m, true
		}
		if s != "" && !foundSec {
			security, foundSec = s, true
		}
	}
	return mirror, security
}

// parseSources finds the URIs serving DebianSuite and its security suite in
// one sources file, in either the one-line or the deb822 format.
func parseSources(path string) (mirror, security string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	var uris, suites []string
	flush := func() {
		for _, u := range uris {
			for _, s := range suites {
				switch s {
				case DebianSuite:
					if mirror == "" {
						mirror = u
					}
				case DebianSuite + "-security":
					if security == "" {
						security = u
					}
				}
			}
		}
		uris, suites = nil, nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "deb "):
			fields := strings.Fields(line)
			var rest []string
			for _, fl := range fields[1:] {
				if !strings.HasPrefix(fl, "[") && !strings.HasSuffix(fl, "]") {
					rest = append(rest, fl)
				}
			}
			if len(rest) >= 2 {
				uris, suites = []string{rest[0]}, []string{rest[1]}
				flush()
			}
		case strings.HasPrefix(line, "URIs:"):
			uris = strings.Fields(strings.TrimPrefix(line, "URIs:"))
		case strings.HasPrefix(line, "Suites:"):
			suites = strings.Fields(strings.TrimPrefix(line, "Suites:"))
		}
	}
	flush()
	return mirror, security
}

// ensureRootfs debootstraps Debian and installs the recipe's packages into
// it, once per recipe, and returns the rootfs directory.
func ensureRootfs(ctx context.Context, o Options, r rootfsRecipe) (string, error) {
	dir := r.dir(o)
	if r.complete(o) {
		return filepath.Join(dir, "rootfs"), nil
	}
	tmp := dir + ".tmp"
	if err := unmountUnder(tmp); err != nil {
		return "", err
	}
	os.RemoveAll(tmp)
	root := filepath.Join(tmp, "rootfs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	mirror, security := aptMirrors()
	if err := run(ctx, "debootstrap", []string{"--variant=minbase", DebianSuite, root, mirror}); err != nil {
		return "", fmt.Errorf("debootstrap from %s: %w", mirror, err)
	}
	files := map[string]string{
		"etc/apt/sources.list": fmt.Sprintf("deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n",
			mirror, DebianSuite, mirror, DebianSuite, security, DebianSuite),
		"etc/apt/apt.conf.d/99kubetutor": "Acquire::Check-Valid-Until \"false\";\nAPT::Install-Recommends \"false\";\n",
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		files["etc/resolv.conf"] = string(b)
	}
	for name, content := range files {
		os.Remove(filepath.Join(root, name))
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	// policy-rc.d exiting 101 keeps the packages' services from starting.
	if err := os.WriteFile(filepath.Join(root, "usr/sbin/policy-rc.d"), []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		return "", err
	}
	proc := filepath.Join(root, "proc")
	if err := syscall.Mount("proc", proc, "proc", 0, ""); err != nil {
		return "", fmt.Errorf("mount proc in rootfs: %w", err)
	}
	err := func() error {
		defer syscall.Unmount(proc, syscall.MNT_DETACH)
		env := []string{"DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"}
		if err := run(ctx, "chroot", []string{root, "apt-get", "update"}, env...); err != nil {
			return err
		}
		args := append([]string{root, "apt-get", "install", "-y"}, r.packages...)
		if err := run(ctx, "chroot", args, env...); err != nil {
			return err
		}
		return run(ctx, "chroot", []string{root, "apt-get", "clean"}, env...)
	}()
	if err != nil {
		return "", fmt.Errorf("install %v in the rootfs: %w", r.packages, err)
	}
	// Slim down and leave MariaDB's datadir empty: the entrypoint
	// initialises it.
	globs := []string{"var/lib/apt/lists/*", "usr/share/doc/*", "usr/share/man/*", "var/lib/mysql/*", "var/log/*.log", "var/cache/debconf/*-old"}
	for _, g := range append(globs, r.prune...) {
		m, _ := filepath.Glob(filepath.Join(root, g))
		for _, p := range m {
			os.RemoveAll(p)
		}
	}
	os.Remove(filepath.Join(root, "usr/sbin/policy-rc.d"))
	os.WriteFile(filepath.Join(root, "etc/resolv.conf"), nil, 0o644)
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"), 0o644)
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, "rootfs"), nil
}
