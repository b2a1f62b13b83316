package wav

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// AtomicFile is a WAV file being written under a temporary name next to
// its final path. Commit makes it appear at the final path complete and
// durable; Abort (or a failed Commit) removes it. After a crash the final
// path holds either its previous content or the whole new file, never a
// partial one; a leftover temporary file is named "."+base+".tmp-*".
type AtomicFile struct {
	path     string
	perm     os.FileMode
	file     *os.File
	writer   *Writer
	finished bool
}

// CreateAtomic starts writing an 8 kHz mono WAV file in the given encoding
// that will replace path on Commit, with permissions perm.
func CreateAtomic(path string, encoding Encoding, perm os.FileMode) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("wav: create %s: %w", path, err)
	}
	w, err := NewWriter(f, encoding)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("wav: create %s: %w", path, err)
	}
	return &AtomicFile{path: path, perm: perm, file: f, writer: w}, nil
}

// WriteSamples appends samples to the file.
func (a *AtomicFile) WriteSamples(samples []int16) error {
	if a.finished {
		return fmt.Errorf("wav: write to %s after Commit or Abort", a.path)
	}
	return a.writer.WriteSamples(samples)
}

// Samples is the number of samples written so far.
func (a *AtomicFile) Samples() int64 { return a.writer.Samples() }

// Commit finishes the header, fsyncs the file, renames it over the final
// path and fsyncs the directory. On an error before the rename the
// temporary file is removed and the final path is untouched.
func (a *AtomicFile) Commit() error {
	if a.finished {
		return fmt.Errorf("wav: commit %s: already committed or aborted", a.path)
	}
	a.finished = true
	tmp := a.file.Name()
	fail := func(step string, err error) error {
		a.file.Close()
		os.Remove(tmp)
		return fmt.Errorf("wav: commit %s: %s: %w", a.path, step, err)
	}
	if err := a.writer.Close(); err != nil {
		return fail("finish header", err)
	}
	if err := a.file.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := a.file.Chmod(a.perm); err != nil {
		return fail("chmod", err)
	}
	if err := a.file.Close(); err != nil {
		return fail("close", err)
	}
	if err := os.Rename(tmp, a.path); err != nil {
		return fail("rename", err)
	}
	if err := SyncDir(filepath.Dir(a.path)); err != nil {
		// The file is in place; only the durability of the rename is in doubt.
		return fmt.Errorf("wav: commit %s: sync directory: %w", a.path, err)
	}
	return nil
}

// Abort discards the temporary file. It is a no-op after Commit or Abort.
func (a *AtomicFile) Abort() error {
	if a.finished {
		return nil
	}
	a.finished = true
	return errors.Join(a.file.Close(), os.Remove(a.file.Name()))
}

// SyncDir fsyncs a directory so that a rename inside it survives power
// loss.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
