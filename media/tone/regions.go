package tone

// entry is one row of the tone table: a cadence spec (see the package
// documentation) and the level of every component that does not set its own.
type entry struct {
	region string
	kind   Kind
	spec   string
	level  float64 // dBm0 per component
}

// regionTones is the tone table. It is only read.
//
// Frequencies and cadences: dahdi-tools zonedata.c (from ITU-T E.180
// Suppl. 2 and BT SIN 350), as summarised in hal-notes §2.2. "eu" is the
// ETSI harmonised 425 Hz plan (ETSI TR 101 041, ES 201 970) [verify the
// call-waiting repeat interval]. Levels: US precise tone plan (dial −13,
// ringback −19, busy/reorder −24 dBm0 per component) and BT's UK values
// (dial 350 Hz −22 + 440 Hz −18, others −18) from hal-notes §2.2; the
// 425/440 Hz plans use −13 dBm0, inside the −10..−15 range hal-notes gives
// [verify per country]. Beep is not a network tone: it is the appliance's
// own prompt (before recording), a single 1400 Hz burst like the record
// tone in zonedata.c, played once.
var regionTones = [...]entry{
	// United States / North America.
	{"us", Dial, "350+440", -13},
	{"us", Ringback, "440+480/2000,0/4000", -19},
	{"us", Busy, "480+620/500,0/500", -24},
	{"us", Congestion, "480+620/250,0/250", -24},
	{"us", CallWaiting, "440/300,0/10000", -13},
	{"us", Beep, "!1400/500", -13},

	// United Kingdom (BT SIN 350).
	{"uk", Dial, "350@-22+440@-18", -18},
	{"uk", Ringback, "400+450/400,0/200,400+450/400,0/2000", -18},
	{"uk", Busy, "400/375,0/375", -18},
	{"uk", Congestion, "400/400,0/350,400/225,0/525", -18},
	{"uk", CallWaiting, "400/100,0/4000", -18},
	{"uk", Beep, "!1400/500", -18},

	// Europe, ETSI harmonised tones.
	{"eu", Dial, "425", -13},
	{"eu", Ringback, "425/1000,0/4000", -13},
	{"eu", Busy, "425/500,0/500", -13},
	{"eu", Congestion, "425/250,0/250", -13},
	{"eu", CallWaiting, "425/200,0/200,425/200,0/5000", -13},
	{"eu", Beep, "!1400/500", -13},

	// Germany.
	{"de", Dial, "425", -13},
	{"de", Ringback, "425/1000,0/4000", -13},
	{"de", Busy, "425/480,0/480", -13},
	{"de", Congestion, "425/240,0/240", -13},
	{"de", CallWaiting, "425/200,0/200,425/200,0/5000", -13},
	{"de", Beep, "!1400/500", -13},

	// France.
	{"fr", Dial, "440", -13},
	{"fr", Ringback, "440/1500,0/3500", -13},
	{"fr", Busy, "440/500,0/500", -13},
	{"fr", Congestion, "440/250,0/250", -13},
	{"fr", CallWaiting, "440/300,0/10000", -13},
	{"fr", Beep, "!1400/500", -13},

	// Australia. Congestion alternates full and 10 dB lower bursts (the
	// note in zonedata.c; dahdi approximates it with a 420 Hz burst).
	{"au", Dial, "413+438", -13},
	{"au", Ringback, "413+438/400,0/200,413+438/400,0/2000", -13},
	{"au", Busy, "425/375,0/375", -13},
	{"au", Congestion, "425/375,0/375,425@-23/375,0/375", -13},
	{"au", CallWaiting, "425/100,0/200,425/200,0/4400", -13},
	{"au", Beep, "!1400/500", -13},

	// Hungary (the board profile rpi-2fxs-1fxo uses it).
	{"hu", Dial, "425", -13},
	{"hu", Ringback, "425/1250,0/3750", -13},
	{"hu", Busy, "425/300,0/300", -13},
	{"hu", Congestion, "425/300,0/300", -13},
	{"hu", CallWaiting, "425/40,0/1960", -13},
	{"hu", Beep, "!1400/500", -13},
}
