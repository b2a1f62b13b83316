package main

import "testing"

func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		name    string
		meminfo string
		want    int64
		ok      bool
	}{
		{"pi 1 GB", "MemTotal:         944268 kB\nMemFree:          500000 kB\n", 944268 * 1024 / 2, true},
		{"not first line", "Foo: 1 kB\nMemTotal: 4000000 kB\n", 4000000 * 1024 / 2, true},
		{"missing", "MemFree: 1 kB\n", 0, false},
		{"empty", "", 0, false},
		{"no unit", "MemTotal: 1000\n", 0, false},
		{"other unit", "MemTotal: 1000 MB\n", 0, false},
		{"not a number", "MemTotal: lots kB\n", 0, false},
		{"zero", "MemTotal: 0 kB\n", 0, false},
		{"negative", "MemTotal: -5 kB\n", 0, false},
		{"absurd", "MemTotal: 99999999999999999 kB\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := memoryLimit([]byte(tt.meminfo))
			if got != tt.want || ok != tt.ok {
				t.Fatalf("memoryLimit = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
