package ozml

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxFileMatches bounds the files one DeleteFile or MoveFile pattern may
// touch.
const maxFileMatches = 1000

// errOutside refuses a path that leaves the data dir.
var errOutside = errors.New("path is outside the data dir")

// dataPath turns a script's path into a slash-separated path relative to
// the data dir: relative paths are taken from the data dir, absolute ones
// must lie inside it; ".." that climbs out is refused. Symbolic links are
// checked when the file is used, through os.Root.
func (r *run) dataPath(p string) (string, error) {
	dir := r.in.opts.DataDir
	if dir == "" {
		return "", fmt.Errorf("%w: no data dir", ErrNotAvailable)
	}
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
		if err != nil {
			return "", fmt.Errorf("%q: %w", p, errOutside)
		}
		p = rel
	}
	if !filepath.IsLocal(p) {
		return "", fmt.Errorf("%q: %w", p, errOutside)
	}
	return filepath.ToSlash(filepath.Clean(p)), nil
}

// matchData opens the data dir and lists the files pattern names (a path,
// or a glob in the syntax of path.Match).
func (r *run) matchData(pattern string) (*os.Root, []string, error) {
	rel, err := r.dataPath(pattern)
	if err != nil {
		return nil, nil, err
	}
	root, err := os.OpenRoot(r.in.opts.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("open data dir: %w", err)
	}
	if !strings.ContainsAny(rel, `*?[\`) {
		return root, []string{rel}, nil
	}
	m, err := fs.Glob(root.FS(), rel)
	if err != nil {
		root.Close()
		return nil, nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	if len(m) > maxFileMatches {
		root.Close()
		return nil, nil, fmt.Errorf("pattern %q matches more than %d files", pattern, maxFileMatches)
	}
	return root, m, nil
}

// deleteFile runs <DeleteFile>path or pattern</DeleteFile> inside the
// data dir.
func (r *run) deleteFile(n *Node) error {
	src := strings.TrimSpace(r.str(n, "source"))
	if src == "" {
		return r.skip(n, "no file")
	}
	root, files, err := r.matchData(src)
	if err != nil {
		return r.skip(n, "%v", err)
	}
	defer root.Close()
	for _, f := range files {
		if err := root.Remove(f); err != nil {
			r.log.Warn("ozml: DeleteFile failed", "line", n.Line, "file", f, "err", err)
			continue
		}
		r.log.Info("ozml: file deleted", "file", f)
	}
	return nil
}

// moveFile runs <MoveFile Source="path or pattern" Target="dir"/>: the
// files move into the target directory (created if needed), both inside
// the data dir.
func (r *run) moveFile(n *Node) error {
	src, dst := strings.TrimSpace(r.str(n, "source")), strings.TrimSpace(r.str(n, "target"))
	if src == "" || dst == "" {
		return r.skip(n, "needs Source and Target")
	}
	dir, err := r.dataPath(dst)
	if err != nil {
		return r.skip(n, "Target: %v", err)
	}
	root, files, err := r.matchData(src)
	if err != nil {
		return r.skip(n, "%v", err)
	}
	defer root.Close()
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return r.skip(n, "Target: %v", err)
	}
	for _, f := range files {
		to := path.Join(dir, path.Base(f))
		if err := root.Rename(f, to); err != nil {
			r.log.Warn("ozml: MoveFile failed", "line", n.Line, "file", f, "err", err)
			continue
		}
		r.log.Info("ozml: file moved", "file", f, "to", to)
	}
	return nil
}
