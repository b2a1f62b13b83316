package sipptest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	own, shared := t.TempDir(), t.TempDir()
	files := map[string]string{
		filepath.Join(shared, "call.xml"):   "<scenario>{{USER}} plays {{PCAP}}\n<!--HANGUP-->\n</scenario>",
		filepath.Join(shared, "bye.part"):   "<send>BYE {{USER}}</send>",
		filepath.Join(shared, "wait.part"):  "<pause milliseconds=\"{{TALK}}\"/>",
		filepath.Join(own, "wait.part"):     "<pause milliseconds=\"{{TALK}}\"/><!-- own -->",
		filepath.Join(shared, "plain.xml"):  "<scenario>{{USER}} {{BODY}} {{BODY_HEADERS}}</scenario>",
		filepath.Join(shared, "noslot.xml"): "<scenario/>",
	}
	for path, text := range files {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirs := []string{own, shared}
	tests := []struct {
		name    string
		file    string
		parts   []string
		vars    map[string]string
		want    string
		wantErr string
	}{
		{"parts in order, vars in parts, default PCAP", "call.xml", []string{"wait.part", "bye.part"},
			map[string]string{"USER": "101", "TALK": "500"},
			"<scenario>101 plays " + PCAP + "\n<pause milliseconds=\"500\"/><!-- own --><send>BYE 101</send>\n</scenario>", ""},
		{"empty slot, PCAP overridden, missing var kept", "call.xml", nil,
			map[string]string{"PCAP": "x.pcap"},
			"<scenario>{{USER}} plays x.pcap\n\n</scenario>", ""},
		{"keys with a common prefix", "plain.xml", nil,
			map[string]string{"USER": "{{BODY}}", "BODY": "b", "BODY_HEADERS": "h"},
			"<scenario>{{BODY}} b h</scenario>", ""},
		{"no slot, nil vars", "noslot.xml", []string{"bye.part"}, nil, "<scenario/>", ""},
		{"missing scenario", "nope.xml", nil, nil, "", "scenario file nope.xml not in"},
		{"missing part", "call.xml", []string{"nope.part"}, nil, "", "scenario file nope.part not in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := render(dirs, tc.file, tc.parts, tc.vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("rendered\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestRenderWritesFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.xml"), []byte("{{X}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := Render(t, []string{dir}, "a.xml", nil, map[string]string{"X": "y"})
	if b, err := os.ReadFile(path); err != nil || string(b) != "y" {
		t.Fatalf("%s holds %q (%v), want \"y\"", path, b, err)
	}
	if filepath.Base(path) != "a.xml" || filepath.Dir(path) == dir {
		t.Fatalf("rendered to %s, want a.xml in a temp dir", path)
	}
}

func TestFreePort(t *testing.T) {
	port := FreePort(t)
	if port%2 != 0 || port <= 0 || port > 65000 {
		t.Fatalf("FreePort() = %d, want an even port up to 65000", port)
	}
}
