package app

import (
	"context"
	"net/url"
	"sync"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/config"
)

// Every notification a command of API user U causes (a BlindTransfer's
// FinishedUrl, a Call's ErrorUrl and FinishedUrl, a CallSetup's ErrorUrl,
// a Record's FinishedUrl, a SendSMS's DeliveryReportURL) is signed with
// U's notify_secret, looked up in the running config when it is sent.
// The command's context names U (api.UserFrom); where the notification
// is made far from the command, by the core or an API extension, these
// tables remember U by call ID.

// maxSigners bounds a table: the oldest entries go first. An entry
// normally leaves with its call's last notification.
const maxSigners = 4096

// signers maps call IDs to the API user whose command the call's
// notifications answer.
type signers struct {
	mu    sync.Mutex
	users map[string]string
	order []string // insertion order, for the bound
}

// set records user for callID ("" forgets it).
func (s *signers) set(callID, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(callID, user)
}

func (s *signers) setLocked(callID, user string) {
	if user == "" {
		delete(s.users, callID)
		return
	}
	if s.users == nil {
		s.users = map[string]string{}
	}
	if _, ok := s.users[callID]; !ok {
		s.order = append(s.order, callID)
	}
	s.users[callID] = user
	// order holds every entry (and some forgotten ones), so the bound
	// holds for users too.
	for len(s.order) > maxSigners {
		delete(s.users, s.order[0])
		s.order = s.order[1:]
	}
}

// user returns the user recorded for callID; forget drops the entry.
func (s *signers) user(callID string, forget bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[callID]
	if forget {
		delete(s.users, callID)
	}
	return u
}

// register runs start (which returns a new call's ID) and records user
// for that ID before any notification of the call can look it up.
func (s *signers) register(user string, start func() (string, error)) (string, error) {
	if user == "" {
		return start()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := start()
	if err == nil {
		s.setLocked(id, user)
	}
	return id, err
}

// notifySigners are the App's tables: transfers for the core's
// CallFinished of a BlindTransfer, placed for the calls of Call, scripts
// for the OzML requests (CallConnected, DtmfEntered, GoTo, ...) of the
// script a Call runs, until the call ends.
type notifySigners struct {
	transfers signers
	placed    signers
	scripts   signers
}

// fetchSecret is the key of fetch.Client for the OzML requests of
// scripts (the form carries the call's fields): the notify_secret of the
// API user whose Call placed the call, else that of the call's API
// extension (config extensions[].notify_secret), else none.
func (a *App) fetchSecret(_ string, form url.Values) []byte {
	if id := form.Get("CallId"); id != "" {
		if user := a.signers.scripts.user(id, false); user != "" {
			if key := a.notifySecret(user); key != nil {
				return key
			}
		}
	}
	if number := form.Get("ApiExtension"); number != "" {
		for _, x := range a.Config().Extensions {
			if x.Number == number && x.Kind == config.KindAPI && x.NotifySecret != "" {
				return []byte(x.NotifySecret)
			}
		}
	}
	return nil
}

// rememberScriptUser records user as the one whose Call placed callID,
// until the call ends.
func (a *App) rememberScriptUser(user, callID string) {
	if user == "" {
		return
	}
	a.signers.scripts.set(callID, user)
	ended := a.core.Ended(callID)
	go func() {
		<-ended
		a.signers.scripts.set(callID, "")
	}()
}

// signFor sets n.Secret to the notify_secret of user (none for "").
func (a *App) signFor(n *notify.Notification, user string) {
	if user != "" {
		n.Secret = a.notifySecret(user)
	}
}

// BlindTransfer implements api.Calls as apiCalls does, remembering the
// command's API user until the call ends: the core's CallFinished to the
// FinishedUrl (App.callEnded) is signed for that user. A Play or Speak
// playing on the call is stopped first.
func (m apiCallsMedia) BlindTransfer(ctx context.Context, t api.TransferRequest) error {
	m.stopAnnouncements(t.CallID)
	m.a.rememberTransferUser(api.UserFrom(ctx), t.CallID)
	return m.apiCalls.BlindTransfer(ctx, t)
}

// rememberTransferUser records user as the one who transferred callID,
// until the call ends.
func (a *App) rememberTransferUser(user, callID string) {
	a.signers.transfers.set(callID, user)
	if user == "" {
		return
	}
	ended := a.core.Ended(callID)
	go func() {
		<-ended
		a.signers.transfers.set(callID, "")
	}()
}
