package api

import "strings"

// Extensions is what the API needs of the extension table and the
// registrar.
type Extensions interface {
	// Extensions returns every configured extension with its live state,
	// in configuration order.
	Extensions() []ExtensionInfo
}

// ExtensionInfo is one configured extension.
type ExtensionInfo struct {
	Number    string
	Type      string // ExtensionTypePhone, ExtensionTypeAPI or ExtensionTypeIVR
	Connected bool   // a SIP phone is registered, a port is present, ...
}

// Extension types, in the reference's vocabulary.
const (
	ExtensionTypePhone = "Phone"         // SIP phones and analog (FXS) phones
	ExtensionTypeAPI   = "API extension" // an HTTP application
	ExtensionTypeIVR   = "IVR extension" // an on-device OzML script
)

// extensionTypes is what ListExtensionTypes answers: every type an
// extension of this appliance can have.
var extensionTypes = [...]string{ExtensionTypePhone, ExtensionTypeAPI, ExtensionTypeIVR}

// extensionDomain completes an extension's Id the way Ozeki writes it:
// 101@localhost.
const extensionDomain = "localhost"

// listExtensions lists the configured extensions, optionally of one Type:
//
//	<Extensions><ExtensionSummary><Id>101@localhost</Id>
//	<PhoneNumber>101</PhoneNumber><Type>Phone</Type>
//	<State>Connected</State></ExtensionSummary>...</Extensions>
func (h *Handler) listExtensions(req *request) reply {
	var exts []ExtensionInfo
	if h.opts.Extensions != nil {
		exts = h.opts.Extensions.Extensions()
	}
	typ := req.params.value("Type")
	kept := exts[:0:0]
	for _, e := range exts {
		if typ == "" || strings.EqualFold(e.Type, typ) {
			kept = append(kept, e)
		}
	}
	return reply{code: CodeOK, body: func(w *xmlWriter) {
		if len(kept) == 0 {
			w.empty("Extensions")
			return
		}
		w.open("Extensions")
		for _, e := range kept {
			state := "Disconnected"
			if e.Connected {
				state = "Connected"
			}
			w.open("ExtensionSummary")
			w.leaf("Id", e.Number+"@"+extensionDomain)
			w.leaf("PhoneNumber", e.Number)
			w.leaf("Type", e.Type)
			w.leaf("State", state)
			w.close("ExtensionSummary")
		}
		w.close("Extensions")
	}}
}

// listExtensionTypes: <ExtensionTypes><ExtensionType>Phone</ExtensionType>...
func (h *Handler) listExtensionTypes(*request) reply {
	return reply{code: CodeOK, body: func(w *xmlWriter) {
		w.open("ExtensionTypes")
		for _, t := range extensionTypes {
			w.leaf("ExtensionType", t)
		}
		w.close("ExtensionTypes")
	}}
}
