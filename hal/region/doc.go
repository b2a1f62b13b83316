// Package region holds the per-country analog line settings as data: ring
// cadence, caller-ID plan, hook-flash window, the media/tone region whose
// call-progress tones to use, and the DAA country setting of FXO ports
// (hal-notes 2.1-2.6). Boards name a region; the line engine and the DAA
// driver take their settings from it.
package region
