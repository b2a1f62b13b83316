package api

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Addressbooks is what the API needs of the address-book store.
type Addressbooks interface {
	// AddressbookNames lists the books in the order ListAddressbookNames
	// shows them.
	AddressbookNames() []string
	// AddressbookContacts returns the contacts of the book of that name
	// (names are case-insensitive); false when there is no such book.
	AddressbookContacts(name string) ([]Contact, bool)
}

// Contact is one address-book entry. ListAddressbookContacts shows Name,
// PhoneNumber (Mobile when there is no PhoneNumber) and Email.
type Contact struct {
	Name        string
	PhoneNumber string
	Mobile      string
	Email       string
}

// contactFilter is ListAddressbookContacts' parsed filters: all given
// ones must match.
type contactFilter struct {
	name, email string // substrings, matched ignoring case
	phone       []byte // phoneDigits of the filter
	page, rows  int
}

// parseContactFilter reads the filters; the name of a bad parameter is
// returned for 302.
func parseContactFilter(req *request) (contactFilter, string) {
	f := contactFilter{name: req.params.value("FullName"), email: req.params.value("Email")}
	if v := req.params.value("PhoneNumber"); v != "" {
		f.phone = appendPhoneDigits(nil, v)
		if len(f.phone) == 0 {
			return f, "PhoneNumber"
		}
	}
	var bad string
	f.page, f.rows, bad = pageParams(req)
	return f, bad
}

// pageParams reads PageNumber (0-based, default 0) and RowsPerPage
// (default 20, 0 meaning the default, clamped to 1000); bad names a
// parameter that is negative or not a number.
func pageParams(req *request) (page, rows int, bad string) {
	var invalid bool
	if page, invalid = optionalInt(req, "PageNumber", 0); invalid {
		return 0, 0, "PageNumber"
	}
	if rows, invalid = optionalInt(req, "RowsPerPage", defaultRowsPerPage); invalid {
		return 0, 0, "RowsPerPage"
	}
	if rows == 0 {
		rows = defaultRowsPerPage
	}
	return page, min(rows, maxRowsPerPage), ""
}

// pageStart is the index of the first row of a page; a page number so
// large that it overflows is past the end.
func pageStart(page, rows int) int {
	if page > math.MaxInt/rows {
		return math.MaxInt
	}
	return page * rows
}

// appendPhoneDigits appends what identifies a number (digits, +, *, #)
// and drops the separators people write (spaces, dashes, dots, brackets,
// slashes), so "555 0100" finds "(555) 010-0100".
func appendPhoneDigits(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c == '+' || c == '*' || c == '#' {
			buf = append(buf, c)
		}
	}
	return buf
}

// hasFold reports whether sub occurs in s, ignoring case, without
// allocating.
func hasFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// hasPhone reports whether the digits of number contain f.phone.
func (f *contactFilter) hasPhone(number string) bool {
	var buf [64]byte
	return bytes.Contains(appendPhoneDigits(buf[:0], number), f.phone)
}

func (f *contactFilter) match(c *Contact) bool {
	switch {
	case f.name != "" && !hasFold(c.Name, f.name),
		f.email != "" && !hasFold(c.Email, f.email),
		len(f.phone) > 0 && !f.hasPhone(c.PhoneNumber) && !f.hasPhone(c.Mobile):
		return false
	}
	return true
}

// listAddressbookNames: <AddressbookNames><Name>Office</Name>...
func (h *Handler) listAddressbookNames(*request) reply {
	var names []string
	if h.opts.Addressbooks != nil {
		names = h.opts.Addressbooks.AddressbookNames()
	}
	return reply{code: CodeOK, body: func(w *xmlWriter) {
		if len(names) == 0 {
			w.empty("AddressbookNames")
			return
		}
		w.open("AddressbookNames")
		for _, n := range names {
			w.leaf("Name", n)
		}
		w.close("AddressbookNames")
	}}
}

// listAddressbookContacts answers TotalRecords (matching contacts) and one
// page of them, in the book's order:
//
//	<TotalRecords/><Contacts><Contact><Name/><PhoneNumber/><Email/>
//	</Contact>...</Contacts>
func (h *Handler) listAddressbookContacts(req *request) reply {
	book, ok := req.required("AddressbookName")
	if !ok {
		return req.invalid("AddressbookName")
	}
	f, bad := parseContactFilter(req)
	if bad != "" {
		return req.invalid(bad)
	}
	var all []Contact
	found := false
	if h.opts.Addressbooks != nil {
		all, found = h.opts.Addressbooks.AddressbookContacts(book)
	}
	if !found {
		return req.invalid("AddressbookName")
	}
	first := pageStart(f.page, f.rows)
	var page []*Contact
	total := 0
	for i := range all {
		if !f.match(&all[i]) {
			continue
		}
		if total >= first && len(page) < f.rows {
			page = append(page, &all[i])
		}
		total++
	}
	return reply{code: CodeOK, body: func(w *xmlWriter) {
		w.leaf("TotalRecords", strconv.Itoa(total))
		if len(page) == 0 {
			w.empty("Contacts")
			return
		}
		w.open("Contacts")
		for _, c := range page {
			phone := c.PhoneNumber
			if phone == "" {
				phone = c.Mobile
			}
			w.open("Contact")
			w.leaf("Name", c.Name)
			w.leaf("PhoneNumber", phone)
			w.leaf("Email", c.Email)
			w.close("Contact")
		}
		w.close("Contacts")
	}}
}
