package main

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// memoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
// gatepbx sets for itself when the environment sets none (GOMEMLIMIT):
// half the board's RAM, from /proc/meminfo's MemTotal line. Under a
// burst of SIP requests (every transaction is kept 32 s for Timer J) the
// heap would otherwise grow to twice its live size before the collector
// runs (GOGC=100); with the limit the collector works harder instead, so
// a 1 GB board keeps room for the rest of the system. ok is false when
// meminfo has no usable MemTotal.
func memoryLimit(meminfo []byte) (limit int64, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		rest, found := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !found {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 || kb > 1<<40 {
			return 0, false
		}
		return kb * 1024 / 2, true
	}
	return 0, false
}
