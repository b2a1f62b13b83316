package ozml

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// dataDir builds a data dir with recordings, and a secret next to it that
// scripts must not reach, also through symbolic links.
func dataDir(t *testing.T) (data, outside string) {
	t.Helper()
	base := t.TempDir()
	data, outside = filepath.Join(base, "data"), filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(data, "rec"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"rec/a.wav", "rec/b.wav", "rec/keep.txt", "top.wav"} {
		if err := os.WriteFile(filepath.Join(data, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.wav"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(data, "link")); err != nil {
		t.Fatal(err)
	}
	return data, outside
}

// tree lists the files under dir (symbolic links not followed).
func tree(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestFiles(t *testing.T) {
	tests := []struct {
		name    string
		doc     string // %DATA% is the data dir, %OUT% the outside dir
		data    string // files left in the data dir
		outside string // files left outside
		log     string
	}{
		{"delete one file", `<DeleteFile>rec/a.wav</DeleteFile>`, "link rec/b.wav rec/keep.txt top.wav", "secret.wav", ""},
		{"delete by pattern", `<DeleteFile Source="rec/*.wav"/>`, "link rec/keep.txt top.wav", "secret.wav", ""},
		{"delete by absolute path inside", `<DeleteFile>%DATA%/top.wav</DeleteFile>`, "link rec/a.wav rec/b.wav rec/keep.txt", "secret.wav", ""},
		{"delete with .. refused", `<DeleteFile>../outside/secret.wav</DeleteFile><DeleteFile>rec/../../outside/secret.wav</DeleteFile>`,
			"link rec/a.wav rec/b.wav rec/keep.txt top.wav", "secret.wav", "outside the data dir"},
		{"delete absolute outside refused", `<DeleteFile>%OUT%/secret.wav</DeleteFile>`,
			"link rec/a.wav rec/b.wav rec/keep.txt top.wav", "secret.wav", "outside the data dir"},
		{"delete through a symlink refused", `<DeleteFile>link/secret.wav</DeleteFile><DeleteFile>link/*.wav</DeleteFile>`,
			"link rec/a.wav rec/b.wav rec/keep.txt top.wav", "secret.wav", "DeleteFile failed"},
		{"delete the link itself removes only the link", `<DeleteFile>link</DeleteFile>`,
			"rec/a.wav rec/b.wav rec/keep.txt top.wav", "secret.wav", ""},
		{"move by pattern into a new dir", `<MoveFile Source="rec/*.wav" Target="archive/2026"/>`,
			"archive/2026/a.wav archive/2026/b.wav link rec/keep.txt top.wav", "secret.wav", ""},
		{"move out through .. refused", `<MoveFile Source="top.wav" Destination="../outside"/>`,
			"link rec/a.wav rec/b.wav rec/keep.txt top.wav", "secret.wav", "outside the data dir"},
		{"move into a symlinked dir refused", `<MoveFile Source="top.wav" Target="link"/>`,
			"link rec/a.wav rec/b.wav rec/keep.txt top.wav", "secret.wav", "path escapes"},
		{"move from a symlinked dir refused", `<MoveFile Source="link/secret.wav" Target="rec"/>`,
			"link rec/a.wav rec/b.wav rec/keep.txt top.wav", "secret.wav", "MoveFile failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, outside := dataDir(t)
			h := newHarness(t, newFakeEnv(t, nil))
			h.opts.DataDir = data
			doc := strings.NewReplacer("%DATA%", data, "%OUT%", outside).Replace("<Response>" + tc.doc + "</Response>")
			res := h.run(t, newFakeCall(t, step{op: "hangup"}), doc)
			wantResult(t, res, HungUp, "end of script")
			if got := tree(t, data); got != tc.data {
				t.Errorf("data dir: %s, want %s", got, tc.data)
			}
			if got := tree(t, outside); got != tc.outside {
				t.Errorf("outside: %s, want %s", got, tc.outside)
			}
			if tc.log != "" && !strings.Contains(h.logs(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, h.logs())
			}
		})
	}
}

func TestFilesWithoutDataDir(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	res := h.run(t, newFakeCall(t, step{op: "hangup"}), `<Response><DeleteFile>x</DeleteFile></Response>`)
	wantResult(t, res, HungUp, "end of script")
	if !strings.Contains(h.logs(), "no data dir") {
		t.Errorf("log: %s", h.logs())
	}
}
