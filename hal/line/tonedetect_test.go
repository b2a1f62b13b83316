package line

import (
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/tone"
)

func TestToneDetectorTellsTonesApart(t *testing.T) {
	kinds := []tone.Kind{tone.Dial, tone.Ringback, tone.Busy, tone.Congestion}
	for _, reg := range []string{"us", "uk", "de", "hu", "fr", "au"} {
		var tones []tone.Tone
		for _, k := range kinds {
			tn, err := tone.Lookup(reg, k)
			if err != nil {
				t.Fatal(err)
			}
			tones = append(tones, tn)
		}
		for _, k := range kinds {
			if (reg == "hu" || reg == "au") && k == tone.Congestion {
				continue // busy's cadence (Australia: only the level differs)
			}
			t.Run(reg+"-"+k.String(), func(t *testing.T) {
				d := NewToneDetector(tones, 3)
				audio := append(make([]int16, 777), toneAudio(t, reg, k, 20*time.Second)...)
				rx := fromSamples(audio)
				var got tone.Kind
				for range 1000 {
					var f hal.Frame
					rx(&f)
					if found := d.Frame(&f); found != 0 {
						got = found
						break
					}
				}
				if got != k {
					t.Errorf("heard %v, want %v", got, k)
				}
			})
		}
	}
}

func TestToneDetectorIgnoresSilenceAndSpeechBand(t *testing.T) {
	tn, _ := tone.Lookup("us", tone.Busy)
	d := NewToneDetector([]tone.Tone{tn}, 4)
	var silent hal.Frame
	for range 500 {
		if d.Frame(&silent) != 0 {
			t.Fatal("silence detected as busy")
		}
	}
	audio := toneAudio(t, "de", tone.Busy, 10*time.Second) // 425 Hz, not 480+620
	rx := fromSamples(audio)
	for range 500 {
		var f hal.Frame
		rx(&f)
		if d.Frame(&f) != 0 {
			t.Fatal("a 425 Hz busy tone matched the US busy tone")
		}
	}
}
