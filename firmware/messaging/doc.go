// Package messaging routes the text messages of SendSMS and SendMessage
// and receives incoming ones.
//
// Send picks the route by recipient when the message is accepted: the
// number of a SIP extension goes to that phone as a SIP MESSAGE (through
// the SIPMessenger the SIP stack provides) while it is registered; any
// other phone number goes to the GSM modem when one is attached and the
// number matches the configured prefixes; anything else has no route
// (ErrNoRoute, the API's 501). Texts the route cannot carry (characters
// outside the chosen encoding, more parts than allowed, a SIP body over
// 1300 bytes) are refused before anything is stored.
//
// An accepted message is stored durably in the outbox folder of the
// message store first (it survives a restart) and then delivered by Run:
// failures (a modem that answers ERROR or stops answering, a phone that
// does not take the MESSAGE) are retried with exponential backoff; after
// the last attempt the message is failed. Sent and failed messages move
// to the sent folder with their status.
//
// Delivery reports go to the request's DeliveryReportURL as an
// SMSDeliveryReport notification: Delivered when every part's status
// report from the network says so (a SIP MESSAGE: when the phone accepted
// it), Failed when a part failed or the message could not be sent.
// Incoming SMS (ModemMessage, the modem's OnMessage) and SIP MESSAGEs
// (SIPMessage) are stored in the inbox folder for ReceiveMessage and
// posted as IncomingSMS to the configured URL.
//
// OpenModem opens the modem of the config's gsm section (a serial device,
// or the simulated modem of package gsmsim for "sim") with the router's
// handlers and attaches it.
package messaging
