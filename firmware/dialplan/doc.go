// Package dialplan decides where a dialled number goes: routes matched by
// prefix, exact number, length or Asterisk-style patterns (_NXX., [1-5])
// with priorities and number rewriting, per-extension forwarding rules
// with loop detection over a chain, the table of *-feature codes parsed
// from dialled strings, and ring groups as data. It is pure logic: the
// call core asks it and acts on the answer.
package dialplan
