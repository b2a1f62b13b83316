package notify

import (
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Name is a notification type, sent as the NotificationName field.
type Name string

// The notification types the appliance sends. The reference names
// IncomingCall, CallConnected, CallChanged, RecordCompleted, DtmfEntered
// and GoTo; it leaves the FinishedUrl and ErrorUrl requests unnamed, so
// we call them CallFinished and CallError (see api/API.md).
const (
	IncomingCall    Name = "IncomingCall"    // a call arrived at an API extension
	CallConnected   Name = "CallConnected"   // a call placed by Call was answered (its Url)
	CallChanged     Name = "CallChanged"     // a call's state changed (third-party control)
	CallFinished    Name = "CallFinished"    // a transferred or originated call ended (FinishedUrl)
	CallError       Name = "CallError"       // an originated call failed (ErrorUrl)
	RecordCompleted Name = "RecordCompleted" // a recording finished (Record's FinishedUrl)
	DtmfEntered     Name = "DtmfEntered"     // UserInput collected digits (ForwardToUrl)
	GoTo            Name = "GoTo"            // OzML GoTo fetches the next document
	// IncomingSMS: an SMS (or SIP MESSAGE) arrived (the configured URL);
	// SMSDeliveryReport: the fate of a sent one (its DeliveryReportURL).
	IncomingSMS       Name = "IncomingSMS"
	SMSDeliveryReport Name = "SMSDeliveryReport"
	// AlarmResult: the outcome of SendAlarmNotification (its ResultUrl).
	AlarmResult Name = "AlarmResult"
)

// Notification is one request to an application: where it goes, how it
// is signed, and the call it is about. Every notification carries the
// call fields (empty ones as empty values); Duration, RecordURL,
// DtmfDigits and ErrorMessage are sent only by the types that own them.
type Notification struct {
	Name Name
	// URL is posted to exactly as given, its own query string included.
	// Only http and https URLs are accepted. Userinfo in it becomes HTTP
	// Basic authentication and is never logged.
	URL string
	// Secret, when not empty, signs the request (the API user's
	// notify_secret); see Sign.
	Secret []byte

	CallID            string
	Caller            string // the calling party's number
	CallerID          string // the number shown as the caller
	CallerDisplayName string
	Callee            string // the extension or number called
	Dialed            string // what was dialled
	APIExtension      string // the API extension involved, if any
	CallState         string // Setup, Ringing, InCall, Hold, Completed, Busy, ...

	Duration     time.Duration // talk time (CallFinished) or recording length (RecordCompleted)
	RecordURL    string        // where the recording can be downloaded (RecordCompleted)
	DtmfDigits   string        // the digits entered (DtmfEntered), the finish key that stopped a recording (RecordCompleted)
	ErrorMessage string        // why the call failed (CallError)

	// The message fields of IncomingSMS and SMSDeliveryReport.
	SmsID          string // the message's ID (SmsId of SendSMS, MessageId of ReceiveMessage)
	Sender         string // who sent it
	Recipient      string // who it is for
	Text           string // the message text (IncomingSMS)
	DeliveryStatus string // Delivered or Failed (SMSDeliveryReport)

	Alarm AlarmFields // AlarmResult
}

// AlarmFields are the fields of an AlarmResult: the report as sent and
// how it went.
type AlarmFields struct {
	PhoneNumber, AccountNumber, EventCode, EventQualifier, PartitionNumber, ZoneNumber string
	Result                                                                             string // Success or Failed
	Attempts                                                                           int    // times the report was sent
}

// smsNames are the notification types about a message.
var smsNames = []Name{IncomingSMS, SMSDeliveryReport}

// field is one form field: its name, its value, and the types that send
// it (nil: every type).
type field struct {
	name  string
	value func(*Notification) string
	only  []Name
}

// fields are the form fields in the order they are sent.
var fields = []field{
	{"NotificationName", func(n *Notification) string { return string(n.Name) }, nil},
	{"CallId", func(n *Notification) string { return n.CallID }, nil},
	{"Caller", func(n *Notification) string { return n.Caller }, nil},
	{"CallerId", func(n *Notification) string { return n.CallerID }, nil},
	{"CallerDisplayName", func(n *Notification) string { return n.CallerDisplayName }, nil},
	{"Callee", func(n *Notification) string { return n.Callee }, nil},
	{"Dialed", func(n *Notification) string { return n.Dialed }, nil},
	{"ApiExtension", func(n *Notification) string { return n.APIExtension }, nil},
	{"CallState", func(n *Notification) string { return n.CallState }, nil},
	{"Duration", func(n *Notification) string { return seconds(n.Duration) }, []Name{CallFinished, RecordCompleted}},
	{"RecordURL", func(n *Notification) string { return n.RecordURL }, []Name{RecordCompleted}},
	{"DtmfDigits", func(n *Notification) string { return n.DtmfDigits }, []Name{DtmfEntered, RecordCompleted}},
	{"ErrorMessage", func(n *Notification) string { return n.ErrorMessage }, []Name{CallError, SMSDeliveryReport, AlarmResult}},
	{"SmsId", func(n *Notification) string { return n.SmsID }, smsNames},
	{"Sender", func(n *Notification) string { return n.Sender }, smsNames},
	{"Recipient", func(n *Notification) string { return n.Recipient }, smsNames},
	{"Message", func(n *Notification) string { return n.Text }, []Name{IncomingSMS}},
	{"DeliveryStatus", func(n *Notification) string { return n.DeliveryStatus }, []Name{SMSDeliveryReport}},
	{"PhoneNumber", func(n *Notification) string { return n.Alarm.PhoneNumber }, alarmNames},
	{"AccountNumber", func(n *Notification) string { return n.Alarm.AccountNumber }, alarmNames},
	{"EventCode", func(n *Notification) string { return n.Alarm.EventCode }, alarmNames},
	{"EventQualifier", func(n *Notification) string { return n.Alarm.EventQualifier }, alarmNames},
	{"PartitionNumber", func(n *Notification) string { return n.Alarm.PartitionNumber }, alarmNames},
	{"ZoneNumber", func(n *Notification) string { return n.Alarm.ZoneNumber }, alarmNames},
	{"Result", func(n *Notification) string { return n.Alarm.Result }, alarmNames},
	{"Attempts", func(n *Notification) string { return strconv.Itoa(n.Alarm.Attempts) }, alarmNames},
}

// alarmNames are the notification types about a Contact ID report.
var alarmNames = []Name{AlarmResult}

// seconds writes a duration as seconds with three decimals, as
// ListActiveCalls does: 12.345.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// Encode is the notification's form body, application/x-www-form-urlencoded,
// fields in a fixed order starting with NotificationName.
func (n *Notification) Encode() []byte {
	var b []byte
	for _, f := range fields {
		if f.only != nil && !slices.Contains(f.only, n.Name) {
			continue
		}
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = append(b, f.name...)
		b = append(b, '=')
		b = append(b, url.QueryEscape(f.value(n))...)
	}
	return b
}
