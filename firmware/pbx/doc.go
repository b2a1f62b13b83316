// Package pbx is the call core: it turns an incoming leg into a call,
// routes the dialled number to a new leg, joins the two legs' media, and
// ends the call when either side leaves, writing a durable history record.
// Each call's state is owned by one goroutine that reads the legs' events,
// timers and commands; nothing else mutates a call.
package pbx
