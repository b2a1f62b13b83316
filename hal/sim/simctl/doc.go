// Package simctl drives a simulated board by hand: a loopback-only
// control socket speaking JSON lines ({"op":"offhook","port":"fxs1"} in,
// {"ok":true,...} out) and the argument parser of a small CLI
// ("offhook fxs1", "dial fxs1 101", "ring fxo0 --cid 3612345678").
// The firmware serves it next to a sim board (make run) and exposes the
// CLI as "gatepbx sim ...".
package simctl
