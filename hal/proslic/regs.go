package proslic

import "time"

// Direct registers (Si321x, hal-notes 1.2/1.3 and DAHDI proslic.h names).
const (
	regID          = 0  // part number (bits 5:4) and revision (3:0)
	regPCMMode     = 1  // PCM format and enable
	regPCMTxLo     = 2  // PCM transmit start count, PCLK cycles from FSYNC
	regPCMTxHi     = 3  //
	regPCMRxLo     = 4  // PCM receive start count
	regPCMRxHi     = 5  //
	regLoopback    = 8  // audio loopback; 0x02 after reset
	regHybrid      = 11 // hybrid control; 0x33 after reset
	regPowerDown   = 14 // power-down control; 0x10 turns the DC-DC converter off
	regIRQStatus1  = 18 // interrupt status 1-3 (write 1 to clear)
	regIRQStatus2  = 19 // power alarms [verify]
	regIRQStatus3  = 20
	regIRQEnable1  = 21 // interrupt enables 1-3
	regIRQEnable2  = 22
	regIRQEnable3  = 23
	regIndDataLo   = 28 // indirect register data, low byte
	regIndDataHi   = 29 // indirect register data, high byte
	regIndAddr     = 30 // indirect register address; writing it starts the access
	regIndStatus   = 31 // indirect access status; 0 when idle
	regRingOscCtl  = 34 // ring oscillator control; 0: cadence in software
	regLinefeed    = 64 // LINE_STATE: the hal.Linefeed codes
	regAutoControl = 67 // automatic/manual control
	regLoopStatus  = 68 // bit 0 loop closure (off hook), bit 1 ring trip
	regVBATHigh    = 74 // high battery voltage setting
	regVBATSense   = 82 // battery voltage sense [verify]
	regCalibrate1  = 96 // calibration control/start; reads 0 when done
	regCalibrate2  = 97 // calibration enables
)

// Indirect registers (ring oscillator, thresholds).
const (
	indRingVOff    = 19 // RING_V_OFF, DC offset of the ring signal
	indRingOscCoef = 20 // RING_OSC_COEF, ring frequency
	indRingX       = 21 // RING_X, ring amplitude
	indRingY       = 22 // RING_Y, initial phase
)

// Register values.
const (
	readBit = 0x80

	loopbackReset = 0x02
	hybridReset   = 0x33

	pcmULaw   = 0x28 // PCM enabled, µ-law (hal-notes 1.2)
	pcmALaw   = 0x20 // PCM enabled, A-law
	pcmLinear = 0x38 // PCM enabled, 16-bit linear [verify]

	dcdcOff = 0x10
	dcdcOn  = 0x00

	// autoControl keeps the automatic controls but not automatic battery
	// switching, which can turn on the external transistor Q7 at the wrong
	// moment (hal-notes 1.3) [verify bit layout].
	autoControl = 0x17

	// irqHook enables the loop-closure interrupt (reg 22 = 0x02, hal-notes
	// 1.2) and the ring-trip one (0x01 [verify]).
	irqHook = 0x03

	calEnables = 0x1e // [verify]
	calStart   = 0x47 // [verify]

	vbatHigh = 0x32 // [verify]
	// vbatReady: regVBATSense reading once the converter is up [verify].
	vbatReady = 0xc0

	loopClosed = 0x01
	// ringTrip: the phone answered during a ring burst, when loop closure
	// is not reported (hal-notes 1.3, bit 1 [verify]).
	ringTrip = 0x02
)

// Ring oscillator presets (hal-notes 1.3).
const (
	ringCoef20Hz = 0x7ef0
	ringCoef25Hz = 0x7e6d
	ringXDefault = 0x01b9
)

// Timings [verify against the datasheet's reset and calibration specs].
const (
	resetHold   = 5 * time.Millisecond
	resetSettle = 20 * time.Millisecond
	pollPause   = 10 * time.Millisecond
	calTries    = 200 // 2 s
	vbatTries   = 100 // 1 s
	indTries    = 100
)

// Part identifies a ProSLIC model.
type Part struct {
	Name    string
	code    byte // regID bits 5:4
	hasDCDC bool // drives an external DC-DC converter
}

// The supported parts [verify product codes].
var (
	Si3210 = Part{Name: "si3210", code: 0, hasDCDC: true}
	Si3215 = Part{Name: "si3215", code: 3, hasDCDC: false}
)

// minRevision: older silicon is not supported (DAHDI refuses revision < 2).
const minRevision = 2

// PartByName finds a part by its profile name.
func PartByName(name string) (Part, bool) {
	for _, p := range []Part{Si3210, Si3215} {
		if p.Name == name {
			return p, true
		}
	}
	return Part{}, false
}
