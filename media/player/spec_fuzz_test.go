package player_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatepbx/gatepbx/media/player"
)

// FuzzOpen feeds Open arbitrary specs (the API's AudioFile, OzML's Play):
// errors are fine, panics are not, and nothing outside the root opens.
// Without a cache dir no URL is fetched.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{"a.wav", "file:a.wav", "../a.wav", "tone:uk/busy", "tone:", "moh:", "http://127.0.0.1/x", "/etc/passwd", "file:", "a/../a.wav", "\x00"} {
		f.Add(s)
	}
	root := f.TempDir()
	writeSineWAV(f, filepath.Join(root, "a.wav"), 500, 160)
	lib, err := player.New(player.Options{Root: filepath.Join(root)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		src, err := lib.Open(context.Background(), spec)
		if err != nil {
			return
		}
		src.ReadFrame(make([]int16, 160))
		src.Close()
	})
}
