// Package notify sends notifications from the appliance to applications:
// form-encoded HTTP POSTs (NotificationName plus the call's fields) to the
// URL an API extension is configured with or a command was given
// (FinishedUrl, ErrorUrl, Url, ...), posted exactly as written, with the
// reference's no-cache headers, an optional HMAC-SHA256 signature header,
// a bounded timeout and retries with backoff. Send queues a notification
// for a pool of workers and never blocks; Do delivers one and returns the
// application's answer (the OzML the caller runs next). Verify checks a
// signature as an application would.
package notify
