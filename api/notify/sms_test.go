package notify

import "testing"

// TestMessageFields: the message notifications carry their own fields
// after the (empty) call fields, and the call types never carry them.
func TestMessageFields(t *testing.T) {
	t.Parallel()
	calls := "&CallId=&Caller=&CallerId=&CallerDisplayName=&Callee=&Dialed=&ApiExtension=&CallState="
	n := Notification{SmsID: "id-1", Sender: "+3620", Recipient: "101", Text: "a&b ő", DeliveryStatus: "Failed", ErrorMessage: "refused"}
	tests := []struct {
		name Name
		want string
	}{
		{IncomingSMS, "NotificationName=IncomingSMS" + calls + "&SmsId=id-1&Sender=%2B3620&Recipient=101&Message=a%26b+%C5%91"},
		{SMSDeliveryReport, "NotificationName=SMSDeliveryReport" + calls + "&ErrorMessage=refused&SmsId=id-1&Sender=%2B3620&Recipient=101&DeliveryStatus=Failed"},
		{CallFinished, "NotificationName=CallFinished" + calls + "&Duration=0.000"},
	}
	for _, tt := range tests {
		n.Name = tt.name
		if got := string(n.Encode()); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
