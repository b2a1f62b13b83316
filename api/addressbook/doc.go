// Package addressbook keeps the appliance's address books: named lists of
// contacts (name, phone number, mobile number, e-mail) stored as one CSV
// file per book under a data directory, read at start (CSV files dropped
// there are picked up as books) and replaced atomically on import. The
// CSV reader is tolerant of the exports of common address-book programs
// (header names in any case and spelling variants, comma, semicolon or
// tab separated, UTF-8 with or without BOM) and strict about everything
// else, naming the CSV line of each problem.
package addressbook
