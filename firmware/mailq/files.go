package mailq

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gatepbx/gatepbx/firmware/config"
)

// syncDir makes renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mailq: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("mailq: sync %s: %w", dir, err)
	}
	return nil
}

// writeFileSync writes dir/name atomically and durably (temporary file,
// fsync, rename, directory fsync).
func writeFileSync(dir, name string, data []byte) error {
	if err := config.WriteFileAtomic(filepath.Join(dir, name), data, 0o600); err != nil {
		return fmt.Errorf("mailq: %w", err)
	}
	return nil
}
