// Package inbox is the durable, bounded message store behind
// ReceiveMessage: received SMS and SIP MESSAGEs in the inbox folder, and
// the messages the appliance sends in outbox (accepted, not yet sent) and
// sent.
//
// Each message is one small JSON file in the store's directory, named by
// its ID and holding its folder and state; every change (add, move, mark
// read, status) rewrites that file atomically (temporary file, fsync,
// rename, directory fsync) and deletion removes it and fsyncs the
// directory, so a change is durable once the call returns and a crash
// leaves every message either in its old or in its new state. Open reads
// the directory back, removing temporary files and setting aside (as
// *.bad) files it cannot parse.
//
// Each folder holds at most MaxPerFolder messages; adding one more drops
// the oldest already-downloaded message of that folder, or the oldest one
// when none has been downloaded.
//
// Receive implements ReceiveMessage: the oldest not-yet-downloaded
// messages of a folder, at most Limit of them, then AfterDownload: delete
// them, mark them downloaded (the default: they are not returned again),
// or leave them as they were.
package inbox
