package ua

// reasons are the reason phrases this package sends.
var reasons = map[int]string{
	400: "Bad Request", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
	413: "Request Entity Too Large", 415: "Unsupported Media Type", 480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
	486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here", 500: "Server Internal Error",
	503: "Service Unavailable", 603: "Decline",
}

func statusText(code int) string {
	if r, ok := reasons[code]; ok {
		return r
	}
	return "Error"
}
