package addressbook

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of a book.
const (
	MaxFileBytes  = 4 << 20 // a CSV file
	MaxContacts   = 10000   // contacts in one book
	MaxFieldBytes = 256     // one value, after trimming spaces
	MaxColumns    = 200     // columns of the CSV
)

// Contact is one entry of an address book.
type Contact struct {
	Name        string
	PhoneNumber string // the main number (Phone, Telephone, Business Phone, ...)
	Mobile      string
	Email       string
}

// role is what a CSV column gives a contact.
type role int

const (
	roleNone role = iota
	roleName
	roleFirstName
	roleMiddleName
	roleLastName
	rolePhone
	roleMobile
	roleEmail
)

// headerRoles maps header names, lower-cased and without spaces, "-", "_"
// and ".", to their role: our own columns, then the spellings of Outlook,
// Google, Thunderbird and spreadsheet exports. Columns with other names
// are ignored.
var headerRoles = map[string]role{
	"name": roleName, "fullname": roleName, "displayname": roleName, "contact": roleName, "contactname": roleName,
	"firstname": roleFirstName, "givenname": roleFirstName,
	"middlename": roleMiddleName, "additionalname": roleMiddleName,
	"lastname": roleLastName, "surname": roleLastName, "familyname": roleLastName,
	"phonenumber": rolePhone, "phone": rolePhone, "telephone": rolePhone, "telephonenumber": rolePhone,
	"tel": rolePhone, "number": rolePhone, "workphone": rolePhone, "businessphone": rolePhone,
	"officephone": rolePhone, "homephone": rolePhone, "primaryphone": rolePhone, "phone1value": rolePhone,
	"mobile": roleMobile, "mobilephone": roleMobile, "mobilenumber": roleMobile, "cell": roleMobile,
	"cellphone": roleMobile, "cellular": roleMobile, "phone2value": roleMobile,
	"email": roleEmail, "emailaddress": roleEmail, "mail": roleEmail, "primaryemail": roleEmail,
	"email1value": roleEmail, "emailaddress1": roleEmail,
}

// canonicalHeader is the header WriteCSV writes; ParseCSV reads it back.
var canonicalHeader = []string{"Name", "PhoneNumber", "Mobile", "Email"}

// phoneChars are the characters a phone number may hold besides digits.
const phoneChars = "+*#-.()/ "

// column is one recognised CSV column.
type column struct {
	index int
	title string // as written in the header, for messages
	role  role
}

// ParseCSV reads an address book from CSV: a header row naming the
// columns, then one contact per row. Recognised columns (any case; spaces,
// "-", "_" and "." ignored) are Name (or FullName, DisplayName; else First
// Name + Middle Name + Last Name), Phone (PhoneNumber, Telephone, Tel,
// Business Phone, ...), Mobile (Mobile Phone, Cell, ...) and Email
// (E-mail Address, ...); when several columns give the same item the
// first non-empty one wins; other columns are ignored. Rows whose
// recognised cells are all empty are skipped. Errors name the CSV line.
func ParseCSV(r io.Reader) ([]Contact, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read CSV: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("CSV larger than %d bytes", MaxFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("line %d: not UTF-8 text (save the file as UTF-8 CSV)", invalidUTF8Line(data))
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffDelimiter(data)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty CSV: want a header row like Name,Phone,Mobile,Email")
	}
	if err != nil {
		return nil, csvError(err, 0)
	}
	cols, err := readHeader(header)
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	width := len(header)
	var contacts []Contact
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return contacts, nil
		}
		if err != nil {
			return nil, csvError(err, width)
		}
		line, _ := cr.FieldPos(0)
		c, err := contactOf(rec, cols)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if c == (Contact{}) {
			continue
		}
		if len(contacts) == MaxContacts {
			return nil, fmt.Errorf("line %d: more than %d contacts in one book", line, MaxContacts)
		}
		contacts = append(contacts, c)
	}
}

// readHeader finds the recognised columns of the header row.
func readHeader(header []string) ([]column, error) {
	if len(header) > MaxColumns {
		return nil, fmt.Errorf("%d columns, at most %d", len(header), MaxColumns)
	}
	var cols []column
	for i, h := range header {
		title := strings.TrimSpace(h)
		if r := headerRoles[normaliseHeader(title)]; r != roleNone {
			cols = append(cols, column{index: i, title: title, role: r})
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no known column in the header %q; want columns like Name, Phone, Mobile, Email",
			strings.Join(header, ","))
	}
	return cols, nil
}

func normaliseHeader(h string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.':
			return -1
		}
		return unicode.ToLower(r)
	}, h)
}

// contactOf builds the contact of one row and checks its values.
func contactOf(rec []string, cols []column) (Contact, error) {
	var c Contact
	var first, middle, last string
	for _, col := range cols {
		v := strings.TrimSpace(rec[col.index])
		if v == "" {
			continue
		}
		if err := checkValue(col, v); err != nil {
			return Contact{}, err
		}
		var dst *string
		switch col.role {
		case roleName:
			dst = &c.Name
		case roleFirstName:
			dst = &first
		case roleMiddleName:
			dst = &middle
		case roleLastName:
			dst = &last
		case rolePhone:
			dst = &c.PhoneNumber
		case roleMobile:
			dst = &c.Mobile
		case roleEmail:
			dst = &c.Email
		}
		if *dst == "" {
			*dst = v
		}
	}
	if c.Name == "" {
		c.Name = strings.Join(strings.Fields(first+" "+middle+" "+last), " ")
		if len(c.Name) > MaxFieldBytes {
			return Contact{}, fmt.Errorf("name longer than %d bytes", MaxFieldBytes)
		}
	}
	return c, nil
}

// checkValue reports what is wrong with a non-empty cell.
func checkValue(col column, v string) error {
	switch {
	case len(v) > MaxFieldBytes:
		return fmt.Errorf("column %q: longer than %d bytes", col.title, MaxFieldBytes)
	case strings.ContainsFunc(v, unicode.IsControl):
		return fmt.Errorf("column %q: control characters or line breaks in %q", col.title, v)
	}
	switch col.role {
	case rolePhone, roleMobile:
		if !isPhoneNumber(v) {
			return fmt.Errorf("column %q: %q is not a phone number (digits and %q only)", col.title, v, phoneChars)
		}
	case roleEmail:
		if at := strings.LastIndexByte(v, '@'); at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " ,;<>") {
			return fmt.Errorf("column %q: %q is not an e-mail address", col.title, v)
		}
	}
	return nil
}

func isPhoneNumber(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case !strings.ContainsRune(phoneChars, r):
			return false
		}
	}
	return digits > 0
}

// csvError rewords an encoding/csv error with the line it is on.
func csvError(err error, width int) error {
	pe, ok := errors.AsType[*csv.ParseError](err)
	if !ok {
		return fmt.Errorf("read CSV: %w", err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return fmt.Errorf("line %d: the row has a different number of fields than the header (%d)", pe.StartLine, width)
	}
	return fmt.Errorf("line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
}

// sniffDelimiter picks the separator from the header line: the most
// frequent of comma, semicolon (spreadsheets in many European locales)
// and tab, outside quotes; comma when there is none.
func sniffDelimiter(data []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, b := range data {
		if b == '"' {
			quoted = !quoted
		}
		if !quoted && (b == '\n' || b == '\r') {
			break
		}
		if !quoted && (b == ',' || b == ';' || b == '\t') {
			counts[b]++
		}
	}
	best := byte(',')
	for _, d := range []byte{';', '\t'} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return rune(best)
}

// invalidUTF8Line is the 1-based line of data's first invalid UTF-8 byte.
func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

// WriteCSV writes contacts as ParseCSV reads them back: the header
// Name,PhoneNumber,Mobile,Email and one row per contact.
func WriteCSV(w io.Writer, contacts []Contact) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(canonicalHeader); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	for _, c := range contacts {
		if err := cw.Write([]string{c.Name, c.PhoneNumber, c.Mobile, c.Email}); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}
