package api

import (
	"strconv"
	"strings"
)

// Code is an Ozeki result code, carried in <Code>. The HTTP status is
// always 200.
type Code int

// The result codes of the Ozeki HTTP API.
const (
	CodeOK                      Code = 200
	CodeParseError              Code = 300
	CodeNotImplementedCommand   Code = 301
	CodeInvalidParameter        Code = 302
	CodeInappropriateCommand    Code = 303
	CodeAuthenticationRequired  Code = 304
	CodeAuthenticationFailed    Code = 305
	CodeForbiddenUser           Code = 306
	CodeForbiddenAddress        Code = 307
	CodeAPIExtensionUnavailable Code = 401
	CodeCallConnectFailed       Code = 402
	CodeSMSDestinationNotFound  Code = 501
	CodeCallNotFound            Code = 601
	CodeConfigNotFound          Code = 701
	CodeInvalidConfig           Code = 702
	CodeConfigAlreadyExists     Code = 703
)

// resultCode is one row of the published result-code table: the name the
// reference gives the code and its <Message> template, where {0} and {1}
// stand for request-specific values. The texts are wire format, spelling
// mistakes included ("occured").
type resultCode struct {
	name     string
	template string
}

var resultCodes = map[Code]resultCode{
	CodeOK:                      {"OK", "Command successfully executed"},
	CodeParseError:              {"ParseError", "Error occured during parsing message: '{0}'"},
	CodeNotImplementedCommand:   {"NotImplementedCommand", "Not implemented command: '{0}'"},
	CodeInvalidParameter:        {"InvalidParameter", "Missing or invalid parameter '{0}' for command '{1}'"},
	CodeInappropriateCommand:    {"InappropriateCommand", "Command '{0}' cannot be used here"},
	CodeAuthenticationRequired:  {"Authentication required", "Authentication required"},
	CodeAuthenticationFailed:    {"Authentication failed", "Authentication failed, bad username or password"},
	CodeForbiddenUser:           {"Forbidden User", "User is not allowed to use API in ACL"},
	CodeForbiddenAddress:        {"ForbiddenAddress", "Use API from this address is forbidden"},
	CodeAPIExtensionUnavailable: {"ApiExtensionUnavailable", "API extension '{0}' unavailable, please check configuration or permissions"},
	CodeCallConnectFailed:       {"CallConnectFailed", "Call connect to '{0}' failed with result state '{1}'"},
	CodeSMSDestinationNotFound:  {"SmsDestinationNotFound", "Destination of the SMS is not found"},
	CodeCallNotFound:            {"CallNotFound", "Call not found with ID '{0}'"},
	CodeConfigNotFound:          {"ConfigNotFound", "Configuration for type '{0}' not found"},
	CodeInvalidConfig:           {"InvalidConfig", "Invalid configuration for type '{0}'"},
	CodeConfigAlreadyExists:     {"ConfigAlreadyExists", "Extension configuration already exists"},
}

// Message fills the code's template with args ({0} is args[0], ...). A
// placeholder without an argument becomes empty; text inside an argument
// is never taken for a placeholder.
func (c Code) Message(args ...string) string {
	rc, ok := resultCodes[c]
	if !ok {
		return "Result code " + strconv.Itoa(int(c))
	}
	return fillTemplate(rc.template, args)
}

// fillTemplate substitutes {n} in one pass over the template.
func fillTemplate(template string, args []string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 || i+2 >= len(template) || template[i+2] != '}' || template[i+1] < '0' || template[i+1] > '9' {
			if i < 0 {
				b.WriteString(template)
				return b.String()
			}
			b.WriteString(template[:i+1])
			template = template[i+1:]
			continue
		}
		b.WriteString(template[:i])
		if n := int(template[i+1] - '0'); n < len(args) {
			b.WriteString(args[n])
		}
		template = template[i+3:]
	}
}
