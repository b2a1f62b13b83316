package boards

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed profiles/*.yaml
var profileFiles embed.FS

// ErrUnknownBoard is wrapped by Lookup when no profile has the name.
var ErrUnknownBoard = errors.New("boards: unknown board")

// Profiles parses and validates every embedded profile, sorted by name.
// Each file must be named after its profile.
func Profiles() ([]Profile, error) {
	files, err := fs.Glob(profileFiles, "profiles/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("boards: list profiles: %w", err)
	}
	profiles := make([]Profile, 0, len(files))
	for _, file := range files {
		data, err := profileFiles.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("boards: read %s: %w", file, err)
		}
		p, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if want := strings.TrimSuffix(path.Base(file), ".yaml"); p.Name != want {
			return nil, fmt.Errorf("boards: %s: profile is named %q; the file must be %s.yaml", file, p.Name, p.Name)
		}
		profiles = append(profiles, p)
	}
	slices.SortFunc(profiles, func(a, b Profile) int { return strings.Compare(a.Name, b.Name) })
	return profiles, nil
}

// Lookup returns the embedded profile with the given name. The error for an
// unknown name wraps ErrUnknownBoard and lists the known names.
func Lookup(name string) (Profile, error) {
	profiles, err := Profiles()
	if err != nil {
		return Profile{}, err
	}
	names := make([]string, len(profiles))
	for i, p := range profiles {
		if p.Name == name {
			return p, nil
		}
		names[i] = p.Name
	}
	return Profile{}, fmt.Errorf("%w %q; known boards: %s", ErrUnknownBoard, name, strings.Join(names, ", "))
}

// Match picks the embedded profile for a machine whose device tree lists
// compatible (see ParseCompatible). An exact compatible string beats a
// bare-vendor entry; ties go to the first profile by name. It reports false
// when nothing matches (or the embedded profiles do not load, which the
// package tests rule out).
func Match(compatible []string) (Profile, bool) {
	profiles, err := Profiles()
	if err != nil {
		return Profile{}, false
	}
	var best Profile
	bestScore := 0
	for _, p := range profiles {
		if s := matchScore(p.Match, compatible); s > bestScore {
			best, bestScore = p, s
		}
	}
	return best, bestScore > 0
}

// Scores for matchScore: how specifically a profile matched.
const (
	noMatch     = 0
	vendorMatch = 1
	exactMatch  = 2
)

func matchScore(m MatchRule, compatible []string) int {
	score := noMatch
	for _, want := range m.DTCompatible {
		for _, have := range compatible {
			switch {
			case have == want:
				return exactMatch
			case !strings.Contains(want, ",") && strings.HasPrefix(have, want+","):
				score = vendorMatch
			}
		}
	}
	return score
}

// ParseCompatible splits the contents of /proc/device-tree/compatible
// (NUL-separated strings, most specific first) into a list for Match.
func ParseCompatible(data []byte) []string {
	var out []string
	for entry := range strings.SplitSeq(string(data), "\x00") {
		if entry = strings.TrimSpace(entry); entry != "" {
			out = append(out, entry)
		}
	}
	return out
}
