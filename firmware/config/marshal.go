package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// marshalHeader starts every file Marshal writes.
const marshalHeader = `# gatepbx configuration
#
# Written by gatepbx; comments added here are not kept when the firmware
# rewrites this file. Every option is explained in the documented default
# configuration that ships with the firmware (default.yaml). Check a changed
# file with: gatepbx -check-config <file>
`

// Marshal renders c as a config file: a comment header, then every setting
// (durations written like "5m" or "30s"). Parse of the result gives back c.
// The file holds SIP passwords, so write it with mode 0600.
func Marshal(c Config) ([]byte, error) {
	var root yaml.Node
	if err := root.Encode(c); err != nil {
		return nil, fmt.Errorf("marshal config: %w", err)
	}
	shortenDurations(&root, reflect.ValueOf(c))
	var buf bytes.Buffer
	buf.WriteString(marshalHeader)
	buf.WriteString("\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("marshal config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal config: %w", err)
	}
	return buf.Bytes(), nil
}

// shortenDurations rewrites the encoded durations below n, which encodes v,
// from Go's "5m0s" to "5m".
func shortenDurations(n *yaml.Node, v reflect.Value) {
	switch {
	case v.Type() == durationType:
		if n.Kind == yaml.ScalarNode {
			n.Value = formatDuration(time.Duration(v.Int()))
		}
	case v.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			if index, ok := fields[n.Content[i].Value]; ok {
				shortenDurations(n.Content[i+1], v.Field(index))
			}
		}
	case v.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i := 0; i < v.Len() && i < len(n.Content); i++ {
			shortenDurations(n.Content[i], v.Index(i))
		}
	}
}

// formatDuration is d.String() without zero trailing units: 5m, 1h, 90s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
