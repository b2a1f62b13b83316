//go:build unix

package inbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

const crashChildDirEnv = "GATEPBX_INBOX_CRASH_CHILD_DIR"

// TestAddSurvivesSIGKILL re-runs the test binary as a child that adds
// messages and SIGKILLs itself without any shutdown; every message whose
// Add returned must be there afterwards.
func TestAddSurvivesSIGKILL(t *testing.T) {
	const n = 20
	if dir := os.Getenv(crashChildDirEnv); dir != "" {
		s, err := Open(Options{Dir: dir})
		if err != nil {
			os.Exit(3)
		}
		for i := range n {
			if _, err := s.Add(Message{ID: fmt.Sprintf("m%02d", i), Data: "x"}); err != nil {
				os.Exit(4)
			}
		}
		if _, err := s.Receive(Query{Limit: 5}); err != nil {
			os.Exit(5)
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAddSurvivesSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("child did not die: %v\n%s", err, out)
	}
	if st, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGKILL {
		t.Fatalf("child not killed by SIGKILL: %v\n%s", err, out)
	}
	s := open(t, dir, 0)
	all := s.List(Inbox)
	if len(all) != n {
		t.Fatalf("%d messages after SIGKILL, want %d", len(all), n)
	}
	for i, m := range all {
		if m.ID != fmt.Sprintf("m%02d", i) || m.Downloaded != (i < 5) {
			t.Errorf("message %d: %+v", i, m)
		}
	}
}
