package api

// commandKind says how the HTTP endpoint treats a command name.
type commandKind int

const (
	// kindHTTP commands are callable over HTTP; those without a run
	// function (the XE configuration commands) are answered 301.
	kindHTTP commandKind = iota + 1
	// kindOzML commands are OzML verbs that only make sense inside a
	// script (control flow, replies to notifications): 303 over HTTP.
	kindOzML
)

// command is one row of the command table.
type command struct {
	name string // canonical spelling, used in messages and ACLs
	kind commandKind
	run  func(h *Handler, req *request) reply // nil: not offered by this appliance (answered 301)
}

// commandTable lists every command name of the reference (section 3), and
// the XE configuration commands, which we answer 301 like unknown names.
var commandTable = []command{
	// Call control (3.1).
	{name: "BlindTransfer", kind: kindHTTP, run: (*Handler).blindTransfer},
	{name: "AttendedTransfer", kind: kindHTTP, run: (*Handler).attendedTransfer},
	{name: "ForwardCall", kind: kindHTTP, run: (*Handler).forwardCall},
	{name: "Hangup", kind: kindHTTP, run: (*Handler).hangup},
	{name: "Hold", kind: kindHTTP, run: (*Handler).hold},
	{name: "Unhold", kind: kindHTTP, run: (*Handler).unhold},
	{name: "SendDTMF", kind: kindHTTP, run: (*Handler).sendDTMF},
	{name: "Play", kind: kindHTTP, run: (*Handler).play},
	{name: "Speak", kind: kindHTTP, run: (*Handler).speak},
	{name: "Record", kind: kindHTTP, run: (*Handler).record},
	{name: "Call", kind: kindHTTP, run: (*Handler).call},
	{name: "CallSetup", kind: kindHTTP, run: (*Handler).callSetup},
	{name: "Request", kind: kindHTTP, run: (*Handler).request},
	{name: "Reject", kind: kindOzML},
	{name: "Route", kind: kindOzML},
	// Queries (3.2).
	{name: "ListActiveCalls", kind: kindHTTP, run: (*Handler).listActiveCalls},
	{name: "ListCallHistory", kind: kindHTTP, run: (*Handler).listCallHistory},
	{name: "ListExtensions", kind: kindHTTP, run: (*Handler).listExtensions},
	{name: "ListExtensionTypes", kind: kindHTTP, run: (*Handler).listExtensionTypes},
	{name: "ListAddressbookNames", kind: kindHTTP, run: (*Handler).listAddressbookNames},
	{name: "ListAddressbookContacts", kind: kindHTTP, run: (*Handler).listAddressbookContacts},
	// Messaging and side effects (3.3).
	{name: "SendSMS", kind: kindHTTP, run: (*Handler).sendSMS},
	{name: "SendEmail", kind: kindHTTP, run: (*Handler).sendEmail},
	{name: "SendMessage", kind: kindHTTP, run: (*Handler).sendMessage},
	{name: "ReceiveMessage", kind: kindHTTP, run: (*Handler).receiveMessage},
	{name: "SendAlarmNotification", kind: kindHTTP, run: (*Handler).sendAlarmNotification},
	{name: "SendMsg", kind: kindOzML},
	{name: "WaitForMsg", kind: kindOzML},
	{name: "ReceiveAlarmNotification", kind: kindOzML},
	// Script control (3.4).
	{name: "Delay", kind: kindOzML},
	{name: "Beep", kind: kindOzML},
	{name: "Var", kind: kindOzML},
	{name: "Array", kind: kindOzML},
	{name: "ForEach", kind: kindOzML},
	{name: "GoTo", kind: kindOzML},
	{name: "Exit", kind: kindOzML},
	{name: "DeleteFile", kind: kindOzML},
	{name: "MoveFile", kind: kindOzML},
	{name: "UserInput", kind: kindOzML},
	// Ozeki XE configuration commands: out of scope (section 4).
	{name: "AddConfig", kind: kindHTTP},
	{name: "GetConfig", kind: kindHTTP},
	{name: "ModifyConfig", kind: kindHTTP},
	{name: "RemoveConfig", kind: kindHTTP},
	{name: "GenerateSecurityToken", kind: kindHTTP},
}

// commandAliases maps older or misspelt command names, lower-cased, to
// canonical ones (reference section 4). Command names are matched
// case-insensitively, so SendSms needs no entry.
var commandAliases = map[string]string{
	"forward":                 "ForwardCall",
	"getcallhistory":          "ListCallHistory",
	"listaddressbokkcontacts": "ListAddressbookContacts",
}

// commandIndex finds table rows by lower-cased name; built once from the
// table and never changed.
var commandIndex = func() map[string]*command {
	idx := make(map[string]*command, len(commandTable)+len(commandAliases))
	for i := range commandTable {
		idx[asciiLower(commandTable[i].name)] = &commandTable[i]
	}
	for alias, canonical := range commandAliases {
		idx[alias] = idx[asciiLower(canonical)]
	}
	return idx
}()

// lookupCommand finds a command by any spelling, in any case.
func lookupCommand(name string) (*command, bool) {
	c, ok := commandIndex[asciiLower(name)]
	return c, ok
}

// canonicalCommand is the canonical spelling of a known command name, or
// name itself.
func canonicalCommand(name string) string {
	if c, ok := lookupCommand(name); ok {
		return c.name
	}
	return name
}
