// Package pdu encodes and decodes SMS transfer-layer PDUs (3GPP TS 23.040)
// as exchanged with a GSM modem in PDU mode (AT+CMGF=0): SMS-SUBMIT,
// SMS-DELIVER and SMS-STATUS-REPORT, each preceded by the SMSC address.
//
// Text is carried in the GSM 7-bit default alphabet with its extension
// table (TS 23.038; the tables are data in gsm7.go), or in UCS-2 (UTF-16BE,
// surrogate pairs kept together) when a character is outside it; 8-bit
// data is passed through. Long texts are split into concatenated parts
// with an 8-bit reference user-data header (153 septets or 67 UCS-2 units
// per part, an escape pair or surrogate pair never split); decoding also
// understands the 16-bit reference header.
//
// Every decoder is bounded by the PDU it is given and fuzzed.
package pdu
