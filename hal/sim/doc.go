// Package sim is the simulated board: FXS ports with a virtual phone on
// each and FXO ports with a virtual CO line, driven from Go by tests and the
// developer tools instead of by hardware. Time comes from an injected
// hal.Clock (ManualClock in tests), so ring cadences run in virtual time.
//
// The virtual phone (FXSPort.GoOffHook, GoOnHook, Flash, Dial) and the
// virtual CO (FXOPort.StartRing, ReversePolarity, DropBattery, ...) are the
// "far end"; the hal.FXS and hal.FXO methods are what the call core sees.
package sim
