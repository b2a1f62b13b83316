// Package bus is the in-process message bus between OzML scripts on the
// device (SendMsg, WaitForMsg): named mailboxes holding bounded queues of
// text messages, each taken by one receiver, oldest first.
package bus
