//go:build e2e

package tui

import (
	"testing"
	"time"
)

// TestTUIStorageE2E opens the storage lesson in Japanese in the real TUI on
// the lab and takes it to the end: the file is written by hand (the copy
// key, typed in the learner's shell) and the TUI unlocks the step without
// Enter; the pod is deleted with Enter; the steps that only look (the file
// is gone, the file is kept) unlock by themselves once the cluster shows
// them; the cleanup leaves the lesson done.
func TestTUIStorageE2E(t *testing.T) {
	h := newHarness(t, "storage", "ja", "ステップ ", 9)
	s := h.open("tuistorage")
	h.wait(s, 30*time.Second, "ステップ 1/9：", "期待する状態：", "ステップ 0/9")
	h.lap("opened in Japanese")
	h.send(s, "Enter")
	h.reach(s, 4*time.Minute, 1)
	h.lap("emptyDir StatefulSet ready")
	h.wait(s, 30*time.Second, "ステップ 2/9：")
	h.byHand(s, "1 行をクリップボードにコピーしました。", "echo 123 > /var/lib/mysql/test.txt")
	h.reach(s, time.Minute, 2)
	h.lap("test.txt written by hand: unlocked")
	for n := 3; n <= 9; n++ {
		if screen, _ := s.Screen(h.ctx); h.done(screen) < n {
			h.send(s, "Enter")
			h.reach(s, 4*time.Minute, n)
		}
	}
	h.wait(s, time.Minute, "全 9 ステップが完了しました。")
	h.lap("file gone, file kept, cleaned up")
	h.send(s, "q")
	h.wait(s, 30*time.Second, "[exited] 0")
}
