package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest config file Parse and Load accept.
const MaxFileSize = 1 << 20

// Load reads the config file at path and parses it with Parse, naming the
// file in errors as path. A missing file gives an error that matches
// os.ErrNotExist.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes a config file over Defaults and validates the result. name
// is used in error messages only. Every problem is reported, each as an
// *Error carrying the file name, the line and the field path; several are
// joined with errors.Join. On error the returned Config is the zero value.
func Parse(name string, data []byte) (Config, error) {
	src := &source{file: name, lines: map[string]int{}}
	if len(data) > MaxFileSize {
		return Config{}, &Error{File: name, Problem: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}
	}
	root, err := parseDocument(name, data)
	if err != nil {
		return Config{}, err
	}

	c := Defaults()
	d := &nodeDecoder{src: src}
	if root != nil {
		src.lines[""] = root.Line
		d.decode(root, reflect.ValueOf(&c).Elem(), "")
	}
	c.source = src

	errs := d.errs
	for _, e := range validate(&c, src) {
		if !d.reported(e.Field) {
			errs = append(errs, e)
		}
	}
	if err := joinErrors(errs); err != nil {
		return Config{}, err
	}
	return c, nil
}

// parseDocument parses data into a YAML node tree and returns the root value
// node, or nil for an empty file.
func parseDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &Error{File: name, Line: next.Line, Problem: "only one YAML document is allowed (remove the extra \"---\")"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(name, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlLineError matches the "yaml: line N: problem" errors of the parser.
var yamlLineError = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML parser error into an *Error with the line the
// parser reported. For the few errors it reports without a line, the line is
// looked up in data.
func syntaxError(name string, data []byte, err error) *Error {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Problem: m[2]}
	}
	problem := strings.TrimPrefix(msg, "yaml: ")
	e := &Error{File: name, Problem: problem}
	if anchor, ok := strings.CutPrefix(problem, "unknown anchor '"); ok {
		anchor, _, _ = strings.Cut(anchor, "'")
		e.Line = lineAt(data, bytes.Index(data, []byte("*"+anchor)))
		e.Problem += fmt.Sprintf(" (quote values that start with * or &, like \"*%s\")", anchor)
	}
	if problem == "control characters are not allowed" {
		e.Line = lineAt(data, bytes.IndexFunc(data, func(r rune) bool {
			return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
		}))
	}
	return e
}

// lineAt is the 1-based line of byte offset i in data (0 when i < 0).
func lineAt(data []byte, i int) int {
	if i < 0 || i > len(data) {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// nodeDecoder walks a YAML node tree alongside the Go value it fills, so that
// unknown keys, duplicate keys and wrong types are reported with their field
// path and line, and every field path's line is recorded in src.
//
// The walk follows the shape of Config, which is a few levels deep, so
// aliases cannot make it loop.
type nodeDecoder struct {
	src  *source
	errs []*Error
}

// reported reports whether a decode error was already given for field or a
// field that contains it, so validation does not pile on.
func (d *nodeDecoder) reported(field string) bool {
	for _, e := range d.errs {
		if isWithin(field, e.Field) {
			return true
		}
	}
	return false
}

func (d *nodeDecoder) fail(line int, field, problem string) {
	d.errs = append(d.errs, &Error{File: d.src.file, Line: line, Field: field, Problem: problem})
}

var durationType = reflect.TypeFor[time.Duration]()

// decode fills v from n. The line of path has already been recorded.
func (d *nodeDecoder) decode(n *yaml.Node, v reflect.Value, path string) {
	line := n.Line
	n = resolveAlias(n)
	if n == nil {
		d.fail(line, path, "alias to nothing")
		return
	}
	switch {
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		d.decodeList(n, v, path)
	default:
		d.decodeScalar(n, v, path, line)
	}
}

func (d *nodeDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return // an empty section keeps its defaults
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, path, "expected a mapping of settings, got "+describeNode(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			d.fail(key.Line, path, "keys must be plain names, got "+describeNode(key))
			continue
		}
		name := key.Value
		field := fieldPath(path, name)
		if key.ShortTag() == "!!merge" {
			d.fail(key.Line, field, "merge keys (<<) are not supported; write the settings out")
			continue
		}
		if first, dup := seen[name]; dup {
			d.fail(key.Line, field, fmt.Sprintf("duplicate key (first defined at line %d)", first))
			continue
		}
		seen[name] = key.Line
		index, known := fields[name]
		if !known {
			d.fail(key.Line, field, "unknown key")
			continue
		}
		d.src.lines[field] = key.Line
		d.decode(value, v.Field(index), field)
	}
}

func (d *nodeDecoder) decodeList(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n.Line, path, "expected a list, got "+describeNode(n))
		return
	}
	if len(n.Content) == 0 {
		v.SetZero() // an empty list is nil, as in Defaults
		return
	}
	list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		field := indexPath(path, i)
		d.src.lines[field] = item.Line
		d.decode(item, list.Index(i), field)
	}
	v.Set(list)
}

func (d *nodeDecoder) decodeScalar(n *yaml.Node, v reflect.Value, path string, line int) {
	want := describeType(v.Type())
	if n.Kind != yaml.ScalarNode {
		d.fail(line, path, "expected "+want+", got "+describeNode(n))
		return
	}
	if isNull(n) {
		return // an empty value keeps its default
	}
	decoded := reflect.New(v.Type())
	if err := n.Decode(decoded.Interface()); err != nil {
		d.fail(line, path, "expected "+want+", got "+describeNode(n))
		return
	}
	v.Set(decoded.Elem())
}

// resolveAlias follows an alias to the node it names (nil if it names none).
func resolveAlias(n *yaml.Node) *yaml.Node {
	for range 8 {
		if n == nil || n.Kind != yaml.AliasNode {
			return n
		}
		n = n.Alias
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// yamlFields maps each yaml key of a struct type to its field index.
func yamlFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
	}
	return fields
}

// describeType says in words what kind of value a field takes.
func describeType(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration like 30s or 5m"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Slice:
		return "a list"
	}
	return "a mapping of settings"
}

// describeNode says in words what the file has at n.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	value := n.Value
	if r := []rune(value); len(r) > 40 {
		value = string(r[:37]) + "..."
	}
	return strconv.Quote(value)
}
