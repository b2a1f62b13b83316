//go:build unix

package history

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

const crashChildDirEnv = "GATEPBX_HISTORY_CRASH_CHILD_DIR"

// TestAppendSurvivesSIGKILL re-runs the test binary as a child that appends
// records and then SIGKILLs itself without closing the store; every record
// whose Append returned must be there afterwards.
func TestAppendSurvivesSIGKILL(t *testing.T) {
	const records = 25
	options := func(dir string) Options { return Options{Dir: dir, MaxRecords: 100, SegmentRecords: 10} }

	if dir := os.Getenv(crashChildDirEnv); dir != "" {
		s, err := Open(options(dir))
		if err != nil {
			os.Exit(3)
		}
		for i := range records {
			if err := s.Append(testRecord(i)); err != nil {
				os.Exit(4)
			}
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // not reached
	}

	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAppendSurvivesSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("child did not fail as expected: %v\n%s", err, out)
	}
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	if !ok || !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v\n%s", err, out)
	}

	s := mustOpen(t, options(dir))
	if got := s.Len(); got != records {
		t.Fatalf("after SIGKILL: Len() = %d, want %d", got, records)
	}
	assertRecords(t, "after SIGKILL", s.Recent(0), newestFirst(testRecords(0, records)))
	for i := range records {
		id := testRecord(i).CallID
		if _, ok := s.Find(id); !ok {
			t.Errorf("record %s lost", id)
		}
	}
	mustAppend(t, s, testRecord(records))
	if got := s.Len(); got != records+1 {
		t.Errorf("append after recovery: Len() = %d, want %d", got, records+1)
	}
}
