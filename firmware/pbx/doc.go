// Package pbx is the call core: it turns an incoming leg into a call,
// routes the dialled number to a new leg, joins the two legs' media, and
// ends the call when either side leaves, writing a durable history record.
// Each call's state is owned by one goroutine that reads the legs' events,
// timers and commands; nothing else mutates a call or changes its bridges.
//
// A call has a caller side and a callee side, each with its current leg.
// Call control re-pairs them, written once for every leg kind and reached
// both from the phones (REFER, hold re-INVITEs, INVITE with Replaces) and
// from the API and OzML (Core.BlindTransfer, AttendedTransfer, Forward,
// Hold, Unhold, SendDTMF): a transfer replaces one side's leg, an attended
// transfer moves a leg from one call to another, hold plays music on hold
// to a side instead of bridging it.
package pbx
