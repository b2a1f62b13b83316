// Package config loads, validates, defaults and atomically writes the
// appliance's one human-edited YAML configuration file.
//
// Parse and Load start from Defaults, reject unknown keys, and name the file,
// line and field path of every problem they find, for example
//
//	gatepbx.yaml:12: extensions[1].number: duplicate number "101" (first defined at line 7)
//
// DefaultYAML is the documented default file; a test keeps it identical to
// Defaults. FirstBoot fills an empty config with a sample setup and fresh
// random credentials, Marshal writes a config back out, and WriteFileAtomic
// (temp file, fsync, rename, fsync dir) is the write path for every file the
// firmware keeps in its data dir.
package config
