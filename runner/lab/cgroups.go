package lab

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupMounts lists the cgroup hierarchies mounted on this machine (v1
// controllers and the v2 unified hierarchy), from /proc/self/mountinfo.
func cgroupMounts() []string {
	var out []string
	for _, m := range mountInfo() {
		if m.fstype == "cgroup" || m.fstype == "cgroup2" {
			out = append(out, m.point)
		}
	}
	return out
}

// ensureCgroupRoot creates /<node> in every hierarchy: the kubelet refuses a
// cgroupRoot that does not exist. cpuset needs its cpus and mems copied from
// the parent before any process can join.
func ensureCgroupRoot(node string) error {
	for _, m := range cgroupMounts() {
		dir := filepath.Join(m, node)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			cur, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || strings.TrimSpace(string(cur)) != "" {
				continue
			}
			parent, err := os.ReadFile(filepath.Join(m, f))
			if err == nil {
				_ = os.WriteFile(filepath.Join(dir, f), parent, 0o644)
			}
		}
	}
	return nil
}

// cgroupPIDs returns every process in /<node> and below, in any hierarchy.
func cgroupPIDs(node string) []int {
	seen := map[int]bool{}
	var out []int
	for _, m := range cgroupMounts() {
		filepath.WalkDir(filepath.Join(m, node), func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			if err != nil {
				return nil
			}
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && !seen[pid] {
					seen[pid] = true
					out = append(out, pid)
				}
			}
			return nil
		})
	}
	return out
}

// killCgroup SIGKILLs every process of the node's cgroups (the pods'
// containers) until none is left or the deadline passes.
func killCgroup(node string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		pids := cgroupPIDs(node)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v in cgroup /%s survived SIGKILL", pids, node)
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeCgroupRoot removes /<node> and its children in every hierarchy,
// deepest first (a cgroup directory can only be removed when empty).
func removeCgroupRoot(node string) error {
	var failed []string
	for _, m := range cgroupMounts() {
		var dirs []string
		filepath.WalkDir(filepath.Join(m, node), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(a, b int) bool { return len(dirs[a]) > len(dirs[b]) })
		for _, d := range dirs {
			if err := syscall.Rmdir(d); err != nil && !os.IsNotExist(err) {
				failed = append(failed, d)
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not remove cgroups %v", failed)
	}
	return nil
}

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct{ point, fstype string }

func mountInfo() []mountEntry {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if e, ok := parseMountInfoLine(sc.Text()); ok {
			out = append(out, e)
		}
	}
	return out
}

// parseMountInfoLine reads the mount point (field 5) and the file system
// type (first field after " - ").
func parseMountInfoLine(line string) (mountEntry, bool) {
	pre, post, ok := strings.Cut(line, " - ")
	if !ok {
		return mountEntry{}, false
	}
	f, g := strings.Fields(pre), strings.Fields(post)
	if len(f) < 5 || len(g) < 1 {
		return mountEntry{}, false
	}
	return mountEntry{point: unescapeMount(f[4]), fstype: g[0]}, true
}

// unescapeMount decodes the octal escapes (\040 for space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountsUnder lists mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	var out []string
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for _, m := range mountInfo() {
		if m.point == dir || strings.HasPrefix(m.point, prefix) {
			out = append(out, m.point)
		}
	}
	sort.Slice(out, func(a, b int) bool { return len(out[a]) > len(out[b]) })
	return out
}

// unmountUnder detaches every mount at or below dir.
func unmountUnder(dir string) error {
	for i := 0; i < 5; i++ {
		ms := mountsUnder(dir)
		if len(ms) == 0 {
			return nil
		}
		for _, m := range ms {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
	if ms := mountsUnder(dir); len(ms) > 0 {
		return fmt.Errorf("could not unmount %v", ms)
	}
	return nil
}
