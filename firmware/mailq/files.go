package mailq

import (
	"fmt"
	"path/filepath"

	"github.com/gatepbx/gatepbx/firmware/config"
)

// writeFileSync writes dir/name atomically and durably (temporary file,
// fsync, rename, directory fsync).
func writeFileSync(dir, name string, data []byte) error {
	if err := config.WriteFileAtomic(filepath.Join(dir, name), data, 0o600); err != nil {
		return fmt.Errorf("mailq: %w", err)
	}
	return nil
}
