package api

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/inbox"
	"github.com/gatepbx/gatepbx/firmware/mailq"
	"github.com/gatepbx/gatepbx/firmware/messaging"
)

// FuzzMessagingParams: whatever the parameters of the messaging commands,
// the answer is a well-formed envelope with one of the codes these
// commands document, and a 200 carries its ID. The real queue, router and
// store sit behind the handler (mail is only queued: the relay is never
// tried; SMS have the SIP route only).
func FuzzMessagingParams(f *testing.F) {
	f.Add(0, "bob@example.com", "hello", "Subject", "hi")
	f.Add(0, "bob@example.com, carol@example.com", "x", "Attachments", "../../etc/passwd;a.wav")
	f.Add(0, "bob", "x", "Sender", "\"a\" <@>")
	f.Add(1, "101", "hello", "DeliveryReportURL", "http://127.0.0.1/r?x=1")
	f.Add(1, "101", "ő€", "Encoding", "gsm7")
	f.Add(2, "101", "x", "MessageType", "SMS:TEXT:UCS2")
	f.Add(2, "+36 30", "x", "MessageCount", "1")
	f.Add(3, "", "", "Limit", "99999999999999999999")
	f.Add(3, "", "", "Folder", "SENT")
	f.Add(3, "", "", "AfterDownload", "delete")
	dir := f.TempDir()
	queue, err := mailq.Open(mailq.Options{Dir: filepath.Join(dir, "mail"), Relay: mailq.Relay{Host: "127.0.0.1", Port: 1},
		From: "pbx@example.com", AttachmentRoot: dir, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	store, err := inbox.Open(inbox.Options{Dir: filepath.Join(dir, "inbox"), MaxPerFolder: 20, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	sip := &sipStub{}
	router, err := messaging.New(messaging.Options{Store: store, Directory: sip, SIP: sip, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	h := New(Options{Mail: queue, Messages: router, Inbox: store, Users: testUsers, CheckPassword: (&fakeChecker{}).check,
		AuthFailureLimit: -1, Logger: quiet})
	commands := []string{"SendEmail", "SendSMS", "SendMessage", "ReceiveMessage"}
	f.Fuzz(func(t *testing.T, cmd int, recipient, text, name, value string) {
		command := commands[uint(cmd)%uint(len(commands))]
		form := url.Values{"command": {command}, "Username": {"app"}, "Password": {"app-secret"},
			"Recipient": {recipient}, "Message": {text}, "MessageData": {text}}
		form.Add(name, value)
		req := httptest.NewRequest(http.MethodPost, "/api", nil)
		req.URL.RawQuery = form.Encode()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var resp xmlMsgResponse
		if rec.Code != http.StatusOK || xml.Unmarshal(rec.Body.Bytes(), &resp) != nil {
			t.Fatalf("HTTP %d, body %q", rec.Code, rec.Body.Bytes())
		}
		if !slices.Contains([]int{200, 300, 302, 501}, resp.Code) {
			t.Fatalf("%s answered %d: %s", command, resp.Code, rec.Body.Bytes())
		}
		if resp.Code == 200 && command != "ReceiveMessage" && resp.EmailId == "" && resp.SmsId == "" {
			t.Fatalf("200 without an ID: %s", rec.Body.Bytes())
		}
	})
}
