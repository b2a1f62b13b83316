package gsm

import (
	"strings"

	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// partKey identifies one concatenated message.
type partKey struct {
	from  string
	ref   uint16
	total uint8
}

type partGroup struct {
	key   partKey
	parts []*pdu.Deliver // by Seq-1
	have  int
	seq   uint64 // arrival order, for eviction
}

// reassembler joins the parts of concatenated messages. It keeps at most
// max incomplete messages; when another starts, the oldest is given up and
// delivered with what arrived (Incomplete set).
type reassembler struct {
	max    int
	groups map[partKey]*partGroup
	next   uint64
}

func newReassembler(max int) *reassembler {
	return &reassembler{max: max, groups: map[partKey]*partGroup{}}
}

// add takes one part and returns the messages it completes (or evicts).
func (r *reassembler) add(d *pdu.Deliver) []Message {
	if d.Concat.Total <= 1 {
		return []Message{{From: d.From, Text: text(d), Time: d.Time, SMSC: d.SMSC, Parts: 1}}
	}
	k := partKey{d.From, d.Concat.Ref, d.Concat.Total}
	g, ok := r.groups[k]
	var out []Message
	if !ok {
		if len(r.groups) >= r.max {
			out = append(out, r.evictOldest())
		}
		r.next++
		g = &partGroup{key: k, parts: make([]*pdu.Deliver, d.Concat.Total), seq: r.next}
		r.groups[k] = g
	}
	i := int(d.Concat.Seq) - 1
	if g.parts[i] == nil {
		g.have++
	}
	g.parts[i] = d
	if g.have == len(g.parts) {
		delete(r.groups, k)
		out = append(out, g.message(false))
	}
	return out
}

func (r *reassembler) evictOldest() Message {
	var oldest *partGroup
	for _, g := range r.groups {
		if oldest == nil || g.seq < oldest.seq {
			oldest = g
		}
	}
	delete(r.groups, oldest.key)
	return oldest.message(true)
}

func (g *partGroup) message(incomplete bool) Message {
	var b strings.Builder
	m := Message{From: g.key.from, Parts: g.have, Incomplete: incomplete}
	for _, p := range g.parts {
		if p == nil {
			continue
		}
		if m.Time.IsZero() {
			m.Time, m.SMSC = p.Time, p.SMSC
		}
		b.WriteString(text(p))
	}
	m.Text = b.String()
	return m
}

// text is a part's text; 8-bit data is shown as its bytes.
func text(d *pdu.Deliver) string {
	if d.Encoding == pdu.EightBit {
		return string(d.Data)
	}
	return d.Text
}
