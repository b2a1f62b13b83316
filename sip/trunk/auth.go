package trunk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// ErrRejected means the provider refused our credentials: it challenged
// again, without stale=true, a request that already answered its challenge.
var ErrRejected = errors.New("credentials rejected")

// Requester sends a request and returns its final response; *sipgo.Client
// is one.
type Requester interface {
	Do(ctx context.Context, req *sip.Request, opts ...sipgo.ClientRequestOption) (*sip.Response, error)
}

// Authorizer answers digest challenges (401 WWW-Authenticate, 407
// Proxy-Authenticate) with one user name and password. It remembers the
// last challenge so that later requests can carry credentials at once
// (Preauthorize). Safe for concurrent use.
type Authorizer struct {
	user, password string

	mu    sync.Mutex
	last  *digest.Challenge
	proxy bool // last came in a 407
	count int  // nonce count used with last
}

// NewAuthorizer returns an Authorizer for user and password.
func NewAuthorizer(user, password string) *Authorizer {
	return &Authorizer{user: user, password: password}
}

// authHeaders returns the challenge and answer header names for res.
func authHeaders(res *sip.Response) (challenge, answer string, ok bool) {
	switch res.StatusCode {
	case sip.StatusUnauthorized:
		return "WWW-Authenticate", "Authorization", true
	case sip.StatusProxyAuthRequired:
		return "Proxy-Authenticate", "Proxy-Authorization", true
	}
	return "", "", false
}

// Authorize adds to req the answer to res's digest challenge, replacing
// an earlier answer. It returns ErrRejected when req already answered
// this very challenge (same realm and nonce, not stale); a provider that
// sends a new nonce each time is caught by Do's bound instead. It leaves
// CSeq and Via alone (see Retry).
func (a *Authorizer) Authorize(req *sip.Request, res *sip.Response) error {
	chName, ansName, ok := authHeaders(res)
	if !ok {
		return fmt.Errorf("authorize %s: response %d is not a challenge", req.Method, res.StatusCode)
	}
	var chal *digest.Challenge
	var perr error
	for _, h := range res.GetHeaders(chName) {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			perr = err
			continue
		}
		c.Algorithm = strings.ToUpper(c.Algorithm)
		if digest.CanDigest(c) {
			chal = c
			break
		}
		perr = fmt.Errorf("algorithm %q or qop %v not supported", c.Algorithm, c.QOP)
	}
	if chal == nil {
		if perr == nil {
			perr = errors.New("no challenge header")
		}
		return fmt.Errorf("authorize %s: %d %s: %w", req.Method, res.StatusCode, chName, perr)
	}
	if h := req.GetHeader(ansName); h != nil && !chal.Stale {
		if old, err := digest.ParseCredentials(h.Value()); err == nil && old.Realm == chal.Realm && old.Nonce == chal.Nonce {
			return fmt.Errorf("authorize %s as %s in realm %q: %w", req.Method, a.user, chal.Realm, ErrRejected)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last, a.proxy, a.count = chal, res.StatusCode == sip.StatusProxyAuthRequired, 0
	return a.applyLocked(req)
}

// Preauthorize adds credentials for the last challenge seen, if any, with
// the next nonce count; it reports whether it did.
func (a *Authorizer) Preauthorize(req *sip.Request) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		return false, nil
	}
	return true, a.applyLocked(req)
}

func (a *Authorizer) applyLocked(req *sip.Request) error {
	a.count++
	cred, err := digest.Digest(a.last, digest.Options{
		Method:   req.Method.String(),
		URI:      req.Recipient.Addr(),
		Username: a.user,
		Password: a.password,
		Count:    a.count,
	})
	if err != nil {
		return fmt.Errorf("authorize %s: %w", req.Method, err)
	}
	name := "Authorization"
	if a.proxy {
		name = "Proxy-Authorization"
	}
	req.RemoveHeader(name)
	req.AppendHeader(sip.NewHeader(name, cred.String()))
	return nil
}

// Retry prepares req, challenged by res, to be sent again: credentials
// added (Authorize), CSeq incremented and Via removed so that the client
// adds a new branch.
func (a *Authorizer) Retry(req *sip.Request, res *sip.Response) error {
	if err := a.Authorize(req, res); err != nil {
		return err
	}
	if cseq := req.CSeq(); cseq != nil {
		cseq.SeqNo++
	}
	req.RemoveHeader("Via")
	return nil
}

// maxChallenges bounds the challenges Do answers for one request (a stale
// nonce and then a proxy's, say).
const maxChallenges = 3

// Do sends req through c and answers digest challenges until a final
// response that is not one, and returns it. A non-INVITE or an INVITE
// whose provisional responses do not matter can use it; dialogs use
// sipgo.AnswerOptions{Username, Password} (see Config.AnswerOptions).
func (a *Authorizer) Do(ctx context.Context, c Requester, req *sip.Request) (*sip.Response, error) {
	if _, err := a.Preauthorize(req); err != nil {
		return nil, err
	}
	for range maxChallenges {
		res, err := c.Do(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.Recipient.Addr(), err)
		}
		if _, _, ok := authHeaders(res); !ok {
			return res, nil
		}
		if err := a.Retry(req, res); err != nil {
			return res, err
		}
	}
	return nil, fmt.Errorf("%s %s: challenged %d times: %w", req.Method, req.Recipient.Addr(), maxChallenges, ErrRejected)
}
