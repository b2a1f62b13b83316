package ozml

import "strings"

// Node is one element of a parsed OzML document. Names are canonical:
// lower case, with older spellings folded onto the current ones.
type Node struct {
	Name     string            // canonical lower-case element name, e.g. "blindtransfer"
	Attrs    map[string]string // canonical lower-case attribute names; raw values ($vars not yet substituted)
	Text     string            // the element's own character data, trimmed
	Children []*Node
	Line     int // position of the start tag, 1-based
	Col      int
}

// Document is a parsed OzML document.
type Document struct {
	Root *Node
	// Source is where the document came from (a URL or a script path); a
	// relative GoTo or ForwardToUrl target is resolved against it. Empty
	// for inline documents.
	Source string
}

// Param returns the raw value of a parameter: the attribute of that name,
// or, for the element's primary parameter (Speak's Text, Delay's Time,
// BlindTransfer's Target, ...), the element's text when the attribute is
// absent.
func (n *Node) Param(name string) (string, bool) {
	if v, ok := n.Attrs[name]; ok {
		return v, true
	}
	if spec, ok := elements[n.Name]; ok && spec.primary == name && n.Text != "" {
		return n.Text, true
	}
	return "", false
}

// Child returns the first child element with the canonical name, or nil.
func (n *Node) Child(name string) *Node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// DisplayName is the element's name in its canonical spelling
// ("BlindTransfer"), for logs and errors.
func (n *Node) DisplayName() string { return displayName(n.Name) }

func displayName(name string) string {
	if spec, ok := elements[name]; ok {
		return spec.display
	}
	return name
}

// childKind says which elements may appear inside an element.
type childKind int

const (
	noChildren     childKind = iota
	verbChildren             // a block of verbs
	userInputParts           // InitialCommands, Inputs
	inputList                // Input
	itemList                 // item
	requestBlocks            // OnSetup ... OnError
	receivedBlock            // Received
	callScript               // ResponseOzML
)

// elementSpec describes one element name.
type elementSpec struct {
	display  string    // canonical spelling
	verb     bool      // may appear in a block of verbs
	children childKind // what may be inside
	primary  string    // parameter that the element text gives, if any
	answers  bool      // the call is answered before the verb runs
	parents  childKind // for non-verbs: the kind of parent it belongs in
	// aliases maps other attribute spellings (lower case) of this element
	// to canonical ones, on top of attrAliases.
	aliases map[string]string
}

// elements is every element OzML knows, by canonical lower-case name.
var elements = map[string]elementSpec{
	// Roots.
	"response": {display: "Response", children: verbChildren},
	"ozml":     {display: "OzML", children: verbChildren},

	// Media verbs: the call is answered first, each blocks until done.
	"speak":     {display: "Speak", verb: true, primary: "text", answers: true},
	"play":      {display: "Play", verb: true, primary: "audiofile", answers: true},
	"delay":     {display: "Delay", verb: true, primary: "time", answers: true},
	"beep":      {display: "Beep", verb: true, answers: true},
	"record":    {display: "Record", verb: true, answers: true},
	"userinput": {display: "UserInput", verb: true, children: userInputParts, answers: true},

	// Call control.
	"blindtransfer":    {display: "BlindTransfer", verb: true, primary: "target", answers: true},
	"attendedtransfer": {display: "AttendedTransfer", verb: true, primary: "targetcallid", answers: true},
	"forwardcall":      {display: "ForwardCall", verb: true, primary: "destination"},
	"hangup":           {display: "Hangup", verb: true},
	"hold":             {display: "Hold", verb: true, answers: true},
	"unhold":           {display: "Unhold", verb: true, answers: true},
	"senddtmf":         {display: "SendDTMF", verb: true, primary: "keys", answers: true},
	"reject":           {display: "Reject", verb: true},
	"route":            {display: "Route", verb: true, primary: "destination"},
	"call":             {display: "Call", verb: true, primary: "dialed", children: callScript},
	"callsetup":        {display: "CallSetup", verb: true},
	"request":          {display: "Request", verb: true, children: requestBlocks},

	// Messaging.
	"sendsms":                  {display: "SendSMS", verb: true, primary: "message"},
	"sendemail":                {display: "SendEmail", verb: true, primary: "message"},
	"sendalarmnotification":    {display: "SendAlarmNotification", verb: true},
	"receivealarmnotification": {display: "ReceiveAlarmNotification", verb: true, children: receivedBlock, answers: true},
	"sendmsg": {display: "SendMsg", verb: true, primary: "message",
		aliases: map[string]string{"text": "message", "to": "toconnection", "connection": "toconnection"}},
	"waitformsg": {display: "WaitForMsg", verb: true,
		aliases: map[string]string{"from": "connection", "fromconnection": "connection", "name": "connection", "var": "id", "variable": "id"}},

	// Script control.
	"var":     {display: "Var", verb: true, primary: "value", aliases: map[string]string{"name": "id"}},
	"array":   {display: "Array", verb: true, children: itemList, aliases: map[string]string{"name": "id"}},
	"foreach": {display: "ForEach", verb: true, children: verbChildren, aliases: map[string]string{"array": "source", "id": "source"}},
	"goto":    {display: "GoTo", verb: true, primary: "url"},
	"exit":    {display: "Exit", verb: true},
	"deletefile": {display: "DeleteFile", verb: true, primary: "source",
		aliases: map[string]string{"file": "source", "path": "source", "filename": "source"}},
	"movefile": {display: "MoveFile", verb: true, primary: "source",
		aliases: map[string]string{"file": "source", "path": "source", "destination": "target", "targetdir": "target", "directory": "target"}},

	// Parts of other elements.
	"initialcommands": {display: "InitialCommands", children: verbChildren, parents: userInputParts},
	"inputs":          {display: "Inputs", children: inputList, parents: userInputParts},
	"input":           {display: "Input", children: verbChildren, parents: inputList},
	"item":            {display: "item", primary: "value", parents: itemList},
	"onsetup":         {display: "OnSetup", children: verbChildren, parents: requestBlocks},
	"onringing":       {display: "OnRinging", children: verbChildren, parents: requestBlocks},
	"onincall":        {display: "OnInCall", children: verbChildren, parents: requestBlocks},
	"oncompleted":     {display: "OnCompleted", children: verbChildren, parents: requestBlocks},
	"onbusy":          {display: "OnBusy", children: verbChildren, parents: requestBlocks},
	"onnotfound":      {display: "OnNotFound", children: verbChildren, parents: requestBlocks},
	"onrejected":      {display: "OnRejected", children: verbChildren, parents: requestBlocks},
	"onerror":         {display: "OnError", children: verbChildren, parents: requestBlocks},
	"received":        {display: "Received", children: verbChildren, parents: receivedBlock},
	"responseozml":    {display: "ResponseOzML", children: verbChildren, parents: callScript},
}

// elementAliases maps older element spellings (lower case) to canonical
// names (reference section 4).
var elementAliases = map[string]string{
	"forward": "forwardcall",
}

// attrAliases maps older attribute spellings (lower case) to canonical
// names, for every element (reference section 4). Names are compared in
// lower case, so ForwardToURL needs no entry.
var attrAliases = map[string]string{
	"enteredurl":        "forwardtourl",
	"dialled":           "dialed",
	"tranferorparty":    "transferorparty",
	"tranferredcallid":  "transferredcallid",
	"delivaryreporturl": "deliveryreporturl",
}

// canonicalElement folds an element name onto its canonical spelling.
func canonicalElement(name string) string {
	name = strings.ToLower(name)
	if c, ok := elementAliases[name]; ok {
		return c
	}
	return name
}

// canonicalAttr folds an attribute name of element elem onto its
// canonical spelling.
func canonicalAttr(elem, name string) string {
	name = strings.ToLower(name)
	if c, ok := elements[elem].aliases[name]; ok {
		return c
	}
	if c, ok := attrAliases[name]; ok {
		return c
	}
	return name
}

// allowedIn reports whether element name may appear inside an element
// whose children are of kind k.
func allowedIn(k childKind, name string) bool {
	spec, ok := elements[name]
	if !ok {
		return false
	}
	if k == verbChildren {
		return spec.verb
	}
	return !spec.verb && spec.parents == k && k != noChildren
}
