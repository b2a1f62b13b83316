package config

// source remembers which file a config came from and on which line each of
// its field paths was written, so later checks can point at the file.
type source struct {
	file  string
	lines map[string]int // field path ("" is the document) -> 1-based line
}

// lineOf returns the line where path was written; for a field the file left
// out it returns its closest written parent's line. 0 means unknown.
func (s *source) lineOf(path string) int {
	if s == nil {
		return 0
	}
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// exactLine returns the line of path only if the file wrote it.
func (s *source) exactLine(path string) (int, bool) {
	if s == nil {
		return 0, false
	}
	l, ok := s.lines[path]
	return l, ok
}

// errorAt builds an Error for field, filling in file and line when known.
func (s *source) errorAt(field, problem string) *Error {
	e := &Error{Field: field, Problem: problem}
	if s != nil {
		e.File = s.file
		e.Line = s.lineOf(field)
	}
	return e
}
