// Package ozml parses and runs OzML, the XML scripts that drive a call on
// an API extension: the replies of an application to IncomingCall,
// CallConnected, DtmfEntered, RecordCompleted and GoTo notifications, and
// the on-device scripts that play the same part without a web server.
//
// Parse turns a document into a tree of Nodes: the roots Response,
// response and OzML are accepted, element and attribute names are
// case-insensitive, older spellings are folded onto the canonical ones
// (ForwardToURL and enteredUrl → ForwardToUrl, Forward → ForwardCall,
// Dialled → Dialed, ...), unknown or misplaced elements are refused, and
// every error carries the line and column. Document size, nesting depth
// and element count are bounded by Limits.
//
// An Interpreter runs a Document against one call. It reaches the call
// only through the Call interface and the rest of the appliance through
// Env (notification fetches, originating calls) and Messenger (the
// message bus between scripts); both are declared here and implemented by
// the firmware's wiring, so the package imports nothing of ours. Verbs run
// in order and media verbs block until done; the end of the document hangs
// up; limits on loop iterations, GoTo hops, variable bytes and run time end
// a hostile script cleanly. The reference is ozml-api.md sections 2.3–2.5
// and 3; the decisions it leaves open are written next to the code that
// takes them and summarised in README.md.
package ozml
