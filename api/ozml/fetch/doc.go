// Package fetch sends OzML notifications and loads the documents they
// return: a form POST to an application URL (Client), or an on-device
// script read from the scripts directory (Loader, which serves as
// ozml.Env's Fetch). Bodies are bounded in size, requests in time.
package fetch
