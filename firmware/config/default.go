package config

import _ "embed"

// DefaultYAML is the documented default config file: every option with its
// default value and an explanation, plus commented examples of each kind of
// extension and of an API user. Parsing it gives exactly Defaults(). Treat
// it as read-only.
//
//go:embed default.yaml
var DefaultYAML []byte
