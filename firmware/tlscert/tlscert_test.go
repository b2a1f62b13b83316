package tlscert

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSelfSignedMadeOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c1, made, err := Load("", "", dir, []string{"127.0.0.1", "gatepbx.local"}, now)
	if err != nil || !made {
		t.Fatalf("first load: made=%v err=%v", made, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "sip-key.pem"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	c2, made, err := Load("", "", dir, nil, now)
	if err != nil || made {
		t.Fatalf("second load: made=%v err=%v", made, err)
	}
	if string(c1.Certificate[0]) != string(c2.Certificate[0]) {
		t.Fatal("certificate changed between starts")
	}
	if _, _, err := Load(filepath.Join(dir, "missing.pem"), filepath.Join(dir, "missing.key"), dir, nil, now); err == nil {
		t.Fatal("configured missing certificate accepted")
	}
}
