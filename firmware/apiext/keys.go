package apiext

import "github.com/gatepbx/gatepbx/firmware/pbx"

// ReceiveKey implements pbx.KeyReceiver: a key the far phone sent by SIP
// INFO reaches the script's key input (UserInput) like one heard in the
// media.
func (l *Leg) ReceiveKey(key byte) { l.media.keys.Signal(key) }

var _ pbx.KeyReceiver = (*Leg)(nil)
