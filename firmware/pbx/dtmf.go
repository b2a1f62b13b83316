package pbx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// maxDTMFKeys bounds one SendDTMF (at 200 ms a digit, 6.4 s).
const maxDTMFKeys = 32

// ErrBadKeys: SendDTMF got no keys, too many, or a character that is not
// a DTMF digit.
var ErrBadKeys = errors.New("pbx: invalid DTMF keys")

// dtmfSend is a SendDTMF in progress: the two parties are unbridged while
// the keys are sent to the chosen ones.
type dtmfSend struct {
	cancel context.CancelFunc
	done   chan error // the senders' result, read by the owner
	reply  chan error
	// pending are keys phones sent by signalling meanwhile, by the side
	// they go to (relayKey); they are sent when this send ends.
	pending [2][]byte
	// announce: an Announce (Play/Speak) rather than keys; a transfer
	// stops it (stopped) and goes ahead. then is an attended transfer's
	// handover waiting for the announcement's writers to return.
	announce, stopped bool
	then              *command
}

// SendDTMF sends keys (0-9 * # A-D) to party (caller, callee or both) of
// an answered call and returns once they are sent: as RFC 4733 telephone
// events when the party's leg negotiated telephone-event, else as in-band
// tones. Meanwhile the two parties do not hear each other; keys their
// phones send by SIP INFO meanwhile are passed on after it (relayKey).
func (c *Core) SendDTMF(ctx context.Context, callID, keys string, party Party) error {
	if party&PartyBoth == 0 || party&^PartyBoth != 0 {
		return ErrBadParty
	}
	if keys == "" || len(keys) > maxDTMFKeys {
		return fmt.Errorf("%w: %d keys (1 to %d)", ErrBadKeys, len(keys), maxDTMFKeys)
	}
	for i := range len(keys) {
		if _, ok := stream.EventCode(keys[i]); !ok {
			return fmt.Errorf("%w: %q", ErrBadKeys, keys[i])
		}
	}
	return c.ask(ctx, callID, command{kind: cmdDTMF, party: party, dest: keys})
}

// startDTMF begins sending cmd's keys; the owner learns the end on
// c.dtmf.done.
func (c *Call) startDTMF(cmd command) {
	if c.xfer != nil || c.dtmf != nil {
		cmd.answer(ErrTransferring)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &dtmfSend{cancel: cancel, done: make(chan error, 1), reply: cmd.reply, announce: cmd.play != nil}
	c.dtmf = d
	c.rewire() // unbridged, no music on hold meanwhile
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, bit := range [2]Party{PartyCaller, PartyCallee} {
		if cmd.party&bit == 0 || !c.parties[i].present() {
			continue
		}
		ep, formats := c.parties[i].leg.Endpoint(), c.parties[i].leg.Formats()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cmd.play != nil {
				errs[i] = cmd.play(ctx, ep, audioFormat(formats))
				return
			}
			errs[i] = sendKeys(ctx, ep, formats, cmd.dest)
		}()
	}
	go func() {
		wg.Wait()
		d.done <- errors.Join(errs...)
	}()
}

// endDTMF restores the media after a SendDTMF; it returns the command
// that waited for the send's end (an attended transfer's handover), to
// be run now.
func (c *Call) endDTMF(err error) *command {
	d := c.dtmf
	c.dtmf = nil
	d.cancel()
	c.rewire()
	if d.stopped {
		err = ErrAnnouncementStopped
	}
	d.reply <- err
	c.nextRelayedKeys(d)
	return d.then
}

// stopDTMF cancels a SendDTMF because the call ends.
func (c *Call) stopDTMF() {
	if d := c.dtmf; d != nil {
		c.dtmf = nil
		d.cancel()
		<-d.done
		d.reply <- ErrCallEnded
		if d.then != nil {
			d.then.answer(ErrCallEnded)
		}
	}
}

// sendKeys paces keys onto one endpoint.
func sendKeys(ctx context.Context, ep *relay.Endpoint, formats []sdp.Format, keys string) error {
	audio := audioFormat(formats)
	var evPT uint8
	for _, f := range formats {
		if strings.EqualFold(f.Name, "telephone-event") {
			evPT = f.PT
		}
	}
	p, err := stream.NewPacer(ep, stream.PacerConfig{PayloadType: audio.PT, EventPayloadType: evPT})
	if err != nil {
		return fmt.Errorf("pbx: send DTMF: %w", err)
	}
	if evPT != 0 {
		return p.SendDTMF(ctx, keys, stream.DTMFOptions{})
	}
	src, err := stream.DTMFTones(keys, dtmf.DefaultGeneratorConfig())
	if err != nil {
		return fmt.Errorf("pbx: send DTMF: %w", err)
	}
	return p.Play(ctx, src)
}

// KeyReceiver is a leg that takes keys pressed on the far side and sent
// by signalling (SIP INFO) straight into its own key input: an API
// extension's script hears them as if they came in its media.
type KeyReceiver interface {
	ReceiveKey(key byte)
}

// sideParty is the Party of each side.
var sideParty = [2]Party{PartyCaller, PartyCallee}

// relayKey passes on a key side i's phone sent by signalling (ua.Event
// Signalled: SIP INFO) to the other side: a KeyReceiver takes it as is,
// any other leg gets it as RFC 4733 events (or in-band tones) by the
// SendDTMF machinery, so the parties are unbridged while it is sent, as
// Asterisk mutes the audio during DTMF to avoid talk-off. Keys pressed
// while keys (relayed or the API's) or an announcement are being sent
// wait their turn, up to maxDTMFKeys a side; during a transfer they are
// dropped (logged), the far party being about to change.
func (c *Call) relayKey(i int, key byte) {
	if _, ok := stream.EventCode(key); !ok {
		return
	}
	to := 1 - i
	far := &c.parties[to]
	if !far.present() {
		return
	}
	if r, ok := keyReceiver(far.leg); ok {
		r.ReceiveKey(key)
		return
	}
	switch d := c.dtmf; {
	case c.xfer != nil || d != nil && (d.stopped || d.then != nil):
		c.core.log.Info("DTMF key not relayed: the call is being transferred", "call", c.id, "key", string(key))
	case d == nil:
		c.startRelayedKeys(to, string(key))
	case len(d.pending[to]) < maxDTMFKeys:
		d.pending[to] = append(d.pending[to], key)
	default:
		c.core.log.Info("DTMF key not relayed: too many keys waiting", "call", c.id, "key", string(key))
	}
}

// startRelayedKeys sends relayed keys to side to, as a SendDTMF nobody
// waits for.
func (c *Call) startRelayedKeys(to int, keys string) {
	c.startDTMF(command{kind: cmdDTMF, party: sideParty[to], dest: keys, reply: make(chan error, 1)})
}

// nextRelayedKeys starts the keys that waited for the send d, which has
// just ended: those of one side now, the other side's then wait for that
// send in turn. A transfer under way (one stopped an announcement, or
// waits for d's end) drops them.
func (c *Call) nextRelayedKeys(d *dtmfSend) {
	for to, keys := range d.pending {
		if len(keys) == 0 || c.dtmf != nil {
			continue
		}
		if c.xfer != nil || d.stopped || d.then != nil {
			c.core.log.Info("DTMF keys not relayed: the call is being transferred", "call", c.id, "keys", string(keys))
			continue
		}
		c.startRelayedKeys(to, string(keys))
		if c.dtmf != nil {
			c.dtmf.pending[1-to] = d.pending[1-to]
		}
	}
}
