package wav

import (
	"errors"
	"fmt"
	"strconv"
)

const (
	// SampleRate is the rate of every frame the Reader returns and of every
	// file the Writer produces.
	SampleRate = 8000
	// FrameSamples is the number of samples in one 20 ms frame at SampleRate.
	FrameSamples = SampleRate / 50
	// MaxHeaderBytes bounds the bytes of RIFF chunks the reader will parse
	// or skip before the data chunk.
	MaxHeaderBytes = 1 << 20

	maxChunksBeforeData = 256
	maxFmtChunkBytes    = 1024
)

var (
	// ErrNotWAV means the input is not a RIFF/WAVE file at all.
	ErrNotWAV = errors.New("wav: not a RIFF/WAVE file")
	// ErrUnsupported means a well-formed WAV file in a format this package
	// does not read (encoding, channel count, sample rate, container).
	ErrUnsupported = errors.New("wav: unsupported format")
	// ErrMalformed means the RIFF structure or fmt chunk is broken or
	// exceeds the header limits.
	ErrMalformed = errors.New("wav: malformed file")
	// ErrTooLarge means a Writer was asked to write past the 4 GiB RIFF
	// limit.
	ErrTooLarge = errors.New("wav: file would exceed the 4 GiB RIFF limit")
)

// Encoding is how samples are stored in a WAV file.
type Encoding uint8

// The encodings this package reads; the Writer writes all but EncodingPCM8.
const (
	EncodingPCM8  Encoding = iota + 1 // 8-bit unsigned linear PCM
	EncodingPCM16                     // 16-bit signed little-endian linear PCM
	EncodingMuLaw                     // G.711 µ-law, 8 bits per sample
	EncodingALaw                      // G.711 A-law, 8 bits per sample
)

// String names the encoding.
func (e Encoding) String() string {
	switch e {
	case EncodingPCM8:
		return "PCM 8-bit"
	case EncodingPCM16:
		return "PCM 16-bit"
	case EncodingMuLaw:
		return "G.711 mu-law"
	case EncodingALaw:
		return "G.711 A-law"
	}
	return "Encoding(" + strconv.Itoa(int(e)) + ")"
}

// bytesPerSample is the size of one sample of one channel.
func (e Encoding) bytesPerSample() int {
	if e == EncodingPCM16 {
		return 2
	}
	return 1
}

// formatTag is the WAVE format tag of the encoding.
func (e Encoding) formatTag() uint16 {
	switch e {
	case EncodingMuLaw:
		return formatTagMuLaw
	case EncodingALaw:
		return formatTagALaw
	}
	return formatTagPCM
}

// Format describes the audio stored in a WAV file, as read from its header.
type Format struct {
	Encoding   Encoding
	SampleRate int  // samples per second per channel
	Channels   int  // 1 or 2
	Extensible bool // the header used WAVE_FORMAT_EXTENSIBLE
}

// BlockAlign is the number of bytes of one sample frame (all channels).
func (f Format) BlockAlign() int { return f.Encoding.bytesPerSample() * f.Channels }

// WAVE format tags.
const (
	formatTagPCM        = 0x0001
	formatTagFloat      = 0x0003
	formatTagALaw       = 0x0006
	formatTagMuLaw      = 0x0007
	formatTagExtensible = 0xfffe
)

// supportedRates are the input sample rates the resampler is built for.
var supportedRates = [...]int{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}

// knownFormatTags names common tags we do not read, for clearer errors.
var knownFormatTags = map[uint16]string{
	0x0002:         "Microsoft ADPCM",
	formatTagFloat: "IEEE float",
	0x0011:         "IMA ADPCM",
	0x0031:         "GSM 6.10",
	0x0040:         "G.721 ADPCM",
	0x0045:         "G.726 ADPCM",
	0x0050:         "MPEG",
	0x0055:         "MPEG layer 3",
	0x0064:         "G.726 ADPCM",
	0x0065:         "G.722 ADPCM",
	0x1610:         "AAC",
	0x674f:         "Ogg Vorbis",
	0xf1ac:         "FLAC",
}

func rateSupported(rate int) bool {
	for _, r := range supportedRates {
		if r == rate {
			return true
		}
	}
	return false
}

// ksSubFormatTail is bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID
// {XXXXXXXX-0000-0010-8000-00AA00389B71} as stored little-endian; bytes 0..1
// carry the classic format tag.
const ksSubFormatTail = "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// parseFmtChunk decodes the body of a "fmt " chunk.
func parseFmtChunk(b []byte) (Format, error) {
	if len(b) < 16 {
		return Format{}, fmt.Errorf("%w: fmt chunk of %d bytes, want at least 16", ErrMalformed, len(b))
	}
	tag := le16(b[0:])
	channels := int(le16(b[2:]))
	rate := le32(b[4:])
	blockAlign := int(le16(b[12:]))
	bits := int(le16(b[14:]))
	var f Format
	if tag == formatTagExtensible {
		f.Extensible = true
		if len(b) < 40 {
			return Format{}, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, want 40", ErrMalformed, len(b))
		}
		if cb := le16(b[16:]); cb < 22 {
			return Format{}, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE extension of %d bytes, want 22", ErrMalformed, cb)
		}
		if valid := int(le16(b[18:])); valid > bits {
			return Format{}, fmt.Errorf("%w: %d valid bits in a %d-bit container", ErrMalformed, valid, bits)
		}
		guid := b[24:40]
		if string(guid[2:]) != ksSubFormatTail {
			return Format{}, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE sub-format GUID %x is not a KSDATAFORMAT_SUBTYPE", ErrUnsupported, guid)
		}
		tag = le16(guid)
	}
	switch tag {
	case formatTagPCM:
		switch bits {
		case 8:
			f.Encoding = EncodingPCM8
		case 16:
			f.Encoding = EncodingPCM16
		default:
			return Format{}, fmt.Errorf("%w: %d-bit PCM (want 8 or 16)", ErrUnsupported, bits)
		}
	case formatTagMuLaw, formatTagALaw:
		if bits != 8 {
			return Format{}, fmt.Errorf("%w: G.711 with %d bits per sample (want 8)", ErrMalformed, bits)
		}
		f.Encoding = EncodingMuLaw
		if tag == formatTagALaw {
			f.Encoding = EncodingALaw
		}
	default:
		if name, ok := knownFormatTags[tag]; ok {
			return Format{}, fmt.Errorf("%w: %s (format tag 0x%04x); want PCM, mu-law or A-law", ErrUnsupported, name, tag)
		}
		return Format{}, fmt.Errorf("%w: format tag 0x%04x; want PCM, mu-law or A-law", ErrUnsupported, tag)
	}
	if channels != 1 && channels != 2 {
		return Format{}, fmt.Errorf("%w: %d channels (want 1 or 2)", ErrUnsupported, channels)
	}
	f.Channels = channels
	if !rateSupported(int(rate)) {
		return Format{}, fmt.Errorf("%w: sample rate %d Hz (want one of %v)", ErrUnsupported, rate, supportedRates)
	}
	f.SampleRate = int(rate)
	if blockAlign != f.BlockAlign() {
		return Format{}, fmt.Errorf("%w: block align %d, want %d for %d-channel %v", ErrMalformed, blockAlign, f.BlockAlign(), channels, f.Encoding)
	}
	return f, nil
}
