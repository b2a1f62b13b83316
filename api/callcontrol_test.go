package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// The fake core's call control: calls from testCalls; target 105 is busy,
// target 106 still rings when the wait ends; only InCall calls can be
// transferred or held. Every request is logged in f.control.

func (f *fakeCalls) find(id string) (CallInfo, error) {
	for _, c := range f.calls {
		if c.ID == id {
			if c.State != CallStateInCall {
				return c, ErrCallState
			}
			return c, nil
		}
	}
	return CallInfo{}, ErrCallNotFound
}

func (f *fakeCalls) BlindTransfer(_ context.Context, t TransferRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.find(t.CallID); err != nil {
		return err
	}
	f.control = append(f.control, fmt.Sprintf("BlindTransfer %s %s %s %s", t.CallID, t.Transferor, t.Target, t.FinishedURL))
	switch t.Target {
	case "105":
		return &ConnectError{Target: t.Target, State: "Busy"}
	case "106":
		return ErrInProgress
	}
	return nil
}

func (f *fakeCalls) holdCmd(name, id string, p Party) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.find(id); err != nil {
		return err
	}
	f.control = append(f.control, fmt.Sprintf("%s %s %s", name, id, p))
	return nil
}

func (f *fakeCalls) Hold(_ context.Context, id string, p Party) error {
	return f.holdCmd("Hold", id, p)
}

func (f *fakeCalls) Unhold(_ context.Context, id string, p Party) error {
	return f.holdCmd("Unhold", id, p)
}

// Forward: only ringing calls; destination 105 cannot be rung.
func (f *fakeCalls) Forward(_ context.Context, id, dest string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.find(id)
	switch {
	case err == nil:
		return ErrCallState // answered
	case !errors.Is(err, ErrCallState) || c.State != CallStateRinging:
		return err
	}
	f.control = append(f.control, fmt.Sprintf("Forward %s %s", id, dest))
	if dest == "105" {
		return &ConnectError{Target: dest, State: "NotRegistered"}
	}
	return nil
}

// AttendedTransfer: both calls must exist and be answered.
func (f *fakeCalls) AttendedTransfer(_ context.Context, t AttendedRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range []string{t.TransferredCallID, t.TargetCallID} {
		if _, err := f.find(id); errors.Is(err, ErrCallNotFound) {
			return &CallNotFoundError{ID: id}
		} else if err != nil {
			return err
		}
	}
	f.control = append(f.control, fmt.Sprintf("AttendedTransfer %s %s %s", t.TransferredCallID, t.TargetCallID, t.Transferor))
	return nil
}

func (f *fakeCalls) SendDTMF(_ context.Context, id, keys string, p Party) error {
	return f.holdCmd("SendDTMF "+keys, id, p)
}

func (f *fakeCalls) controlLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.control)
}

func TestCallControlCommands(t *testing.T) {
	tests := []commandCase{
		{name: "seed example", query: "command=BlindTransfer&CallId=Nt3uh&TransferorParty=caller&Target=104", wantCode: 200,
			golden: "blind_transfer_ok", wantLog: "BlindTransfer Nt3uh caller 104 "},
		{name: "misspelt TranferorParty, FinishedUrl kept", query: query("command", "BlindTransfer", "CallId", "Nt3uh", "TranferorParty", "Callee", "Target", "103", "FinishedURL", "http://app/done?x=1"),
			wantCode: 200, wantLog: "BlindTransfer Nt3uh callee 103 http://app/done?x=1"},
		{name: "unknown call", query: "command=BlindTransfer&CallId=g67th7&TransferorParty=caller&Target=104", wantCode: 601,
			wantMsg: "Call not found with ID 'g67th7'", golden: "blind_transfer_not_found"},
		{name: "target busy", query: "command=BlindTransfer&CallId=Nt3uh&TransferorParty=caller&Target=105", wantCode: 402,
			wantMsg: "Call connect to '105' failed with result state 'Busy'", golden: "blind_transfer_busy", wantLog: "BlindTransfer Nt3uh caller 105 "},
		{name: "target still ringing", query: "command=BlindTransfer&CallId=Nt3uh&TransferorParty=caller&Target=106", wantCode: 200,
			wantLog: "BlindTransfer Nt3uh caller 106 "},
		{name: "call not answered", query: "command=BlindTransfer&CallId=aB9xy&TransferorParty=caller&Target=104", wantCode: 303,
			wantMsg: "Command 'BlindTransfer' cannot be used here"},
		{name: "missing CallId", query: "command=BlindTransfer&TransferorParty=caller&Target=104", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'CallId' for command 'BlindTransfer'", golden: "blind_transfer_missing_callid"},
		{name: "missing TransferorParty", query: "command=BlindTransfer&CallId=Nt3uh&Target=104", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'TransferorParty' for command 'BlindTransfer'"},
		{name: "TransferorParty all", query: "command=BlindTransfer&CallId=Nt3uh&TransferorParty=all&Target=104", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'TransferorParty' for command 'BlindTransfer'"},
		{name: "missing Target", query: "command=BlindTransfer&CallId=Nt3uh&TransferorParty=caller", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Target' for command 'BlindTransfer'", golden: "blind_transfer_missing_target"},
		{name: "hold", query: "command=Hold&CallId=Nt3uh", wantCode: 200, golden: "hold_ok", wantLog: "Hold Nt3uh all"},
		{name: "hold one party", query: "command=hold&callid=Nt3uh&party=CALLER", wantCode: 200, wantLog: "Hold Nt3uh caller"},
		{name: "hold bad party", query: "command=Hold&CallId=Nt3uh&Party=everyone", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Party' for command 'Hold'"},
		{name: "hold unknown call", query: "command=Hold&CallId=g67th7", wantCode: 601, wantMsg: "Call not found with ID 'g67th7'"},
		{name: "hold ringing call", query: "command=Hold&CallId=aB9xy", wantCode: 303, wantMsg: "Command 'Hold' cannot be used here"},
		{name: "forward", query: "command=ForwardCall&CallId=aB9xy&Destination=104", wantCode: 200, golden: "forward_call_ok", wantLog: "Forward aB9xy 104"},
		{name: "XE alias Forward", query: "command=Forward&CallId=aB9xy&Destination=104", wantCode: 200, wantLog: "Forward aB9xy 104"},
		{name: "forward to an unreachable number", query: "command=ForwardCall&CallId=aB9xy&Destination=105", wantCode: 402,
			wantMsg: "Call connect to '105' failed with result state 'NotRegistered'", wantLog: "Forward aB9xy 105"},
		{name: "forward an answered call", query: "command=ForwardCall&CallId=Nt3uh&Destination=104", wantCode: 303,
			wantMsg: "Command 'ForwardCall' cannot be used here"},
		{name: "forward unknown call", query: "command=ForwardCall&CallId=g67th7&Destination=104", wantCode: 601},
		{name: "forward without Destination", query: "command=ForwardCall&CallId=aB9xy", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Destination' for command 'ForwardCall'", golden: "forward_call_missing_destination"},
		{name: "attended transfer", query: "command=AttendedTransfer&TransferredCallId=Nt3uh&TargetCallId=Nt3uh", wantCode: 200,
			golden: "attended_transfer_ok", wantLog: "AttendedTransfer Nt3uh Nt3uh "},
		{name: "attended transfer with misspelt TranferredCallId", query: "command=AttendedTransfer&TranferredCallId=Nt3uh&TargetCallId=Nt3uh&TransferorParty=callee",
			wantCode: 200, wantLog: "AttendedTransfer Nt3uh Nt3uh callee"},
		{name: "attended transfer to an unknown call", query: "command=AttendedTransfer&TransferredCallId=Nt3uh&TargetCallId=g67th7", wantCode: 601,
			wantMsg: "Call not found with ID 'g67th7'", golden: "attended_transfer_not_found"},
		{name: "attended transfer of a ringing call", query: "command=AttendedTransfer&TransferredCallId=aB9xy&TargetCallId=Nt3uh", wantCode: 303,
			wantMsg: "Command 'AttendedTransfer' cannot be used here"},
		{name: "attended transfer without TargetCallId", query: "command=AttendedTransfer&TransferredCallId=Nt3uh", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'TargetCallId' for command 'AttendedTransfer'"},
		{name: "attended transfer without TransferredCallId", query: "command=AttendedTransfer&TargetCallId=Nt3uh", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'TransferredCallId' for command 'AttendedTransfer'"},
		{name: "send DTMF", query: "command=SendDTMF&CallId=Nt3uh&Party=caller&Keys=01234%23", wantCode: 200, golden: "send_dtmf_ok", wantLog: "SendDTMF 01234# Nt3uh caller"},
		{name: "send DTMF to all", query: "command=SendDTMF&CallId=Nt3uh&Party=all&Keys=*a", wantCode: 200, wantLog: "SendDTMF *a Nt3uh all"},
		{name: "send DTMF without Party", query: "command=SendDTMF&CallId=Nt3uh&Keys=1", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Party' for command 'SendDTMF'"},
		{name: "send DTMF bad keys", query: "command=SendDTMF&CallId=Nt3uh&Party=caller&Keys=12x", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Keys' for command 'SendDTMF'", golden: "send_dtmf_bad_keys"},
		{name: "send DTMF to a ringing call", query: "command=SendDTMF&CallId=aB9xy&Party=caller&Keys=1", wantCode: 303},
		{name: "send DTMF unknown call", query: "command=SendDTMF&CallId=g67th7&Party=caller&Keys=1", wantCode: 601},
		{name: "unhold", query: "command=Unhold&CallId=Nt3uh&Party=callee", wantCode: 200, wantLog: "Unhold Nt3uh callee"},
		{name: "unhold without CallId", query: "command=Unhold", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'CallId' for command 'Unhold'", golden: "unhold_missing_callid"},
	}
	runCommandCases(t, tests)
}

func TestCallControlWithoutCore(t *testing.T) {
	r := newRig(t, func(o *Options) { o.Calls = nil })
	for _, q := range []string{"command=BlindTransfer&CallId=Nt3uh&TransferorParty=caller&Target=104", "command=Hold&CallId=Nt3uh"} {
		if resp := decode(t, r.get(t, "/api?"+q+appAuth)); resp.Code != 601 {
			t.Fatalf("%s without a core: %d", q, resp.Code)
		}
	}
}
