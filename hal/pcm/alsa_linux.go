//go:build linux

package pcm

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip"
)

// ALSA kernel ABI (include/uapi/sound/asound.h).
const (
	paramAccess     = 0
	paramFormat     = 1
	paramSubformat  = 2
	paramFirstIntvl = 8
	paramSampleBits = 8
	paramFrameBits  = 9
	paramChannels   = 10
	paramRate       = 11
	paramPeriodSize = 13
	paramPeriods    = 15
	paramBufferSize = 17
	paramLastIntvl  = 19

	accessRWInterleaved = 3
	formatS16LE         = 2
	formatMuLaw         = 20
	formatALaw          = 21
	subformatStd        = 0

	periodsPerBuffer = 4
)

type sndMask struct{ bits [8]uint32 }

type sndInterval struct {
	min, max uint32
	flags    uint32 // openmin:1 openmax:1 integer:1 empty:1
}

const intervalInteger = 1 << 2

// hwParams is struct snd_pcm_hw_params.
type hwParams struct {
	flags     uint32
	masks     [3]sndMask
	mres      [5]sndMask
	intervals [paramLastIntvl - paramFirstIntvl + 1]sndInterval
	ires      [9]sndInterval
	rmask     uint32
	cmask     uint32
	info      uint32
	msbits    uint32
	rateNum   uint32
	rateDen   uint32
	fifoSize  uintptr
	reserved  [64]byte
}

// xferi is struct snd_xferi.
type xferi struct {
	result int
	buf    uintptr
	frames uintptr
}

// ioctl request encoding (asm-generic/ioctl.h).
func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'A'<<8 | nr }

const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2
)

var (
	ioctlHWParams = ioc(iocRead|iocWrite, 0x11, unsafe.Sizeof(hwParams{}))
	ioctlPrepare  = ioc(iocNone, 0x40, 0)
	ioctlWriteI   = ioc(iocWrite, 0x50, unsafe.Sizeof(xferi{}))
	ioctlReadI    = ioc(iocRead, 0x51, unsafe.Sizeof(xferi{}))
)

// newHWParams builds the parameters for a highway: interleaved access,
// the format, one channel per slot, 8 kHz, 20 ms periods, four of them.
func newHWParams(l Layout) *hwParams {
	p := &hwParams{}
	for i := range p.masks {
		for j := range p.masks[i].bits {
			p.masks[i].bits[j] = ^uint32(0)
		}
	}
	for i := range p.intervals {
		p.intervals[i] = sndInterval{min: 0, max: ^uint32(0)}
	}
	p.rmask = ^uint32(0)
	set := func(param int, v uint32) {
		m := &p.masks[param]
		*m = sndMask{}
		m.bits[v/32] = 1 << (v % 32)
	}
	fix := func(param int, v uint32) {
		p.intervals[param-paramFirstIntvl] = sndInterval{min: v, max: v, flags: intervalInteger}
	}
	format := map[chip.Format]uint32{chip.ULaw: formatMuLaw, chip.ALaw: formatALaw, chip.Linear: formatS16LE}[l.Format]
	set(paramAccess, accessRWInterleaved)
	set(paramFormat, format)
	set(paramSubformat, subformatStd)
	fix(paramSampleBits, uint32(l.Format.SlotBits()))
	fix(paramFrameBits, uint32(l.Format.SlotBits()*l.Slots))
	fix(paramChannels, uint32(l.Slots))
	fix(paramRate, hal.SampleRate)
	fix(paramPeriodSize, hal.FrameSamples)
	fix(paramPeriods, periodsPerBuffer)
	fix(paramBufferSize, hal.FrameSamples*periodsPerBuffer)
	return p
}

// ALSA is a highway on a pair of kernel PCM devices (capture and
// playback of one card and device).
type ALSA struct {
	layout   Layout
	capture  *os.File
	playback *os.File
	primed   bool
	// sys is the ioctl call (nil: the kernel's); tests put a fake driver
	// there to exercise xrun recovery without hardware.
	sys func(f *os.File, req uintptr, arg unsafe.Pointer) error
}

// OpenALSA opens /dev/snd/pcmC<card>D<device>c and ...p and configures
// both for the layout.
func OpenALSA(card, device int, l Layout) (*ALSA, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	a := &ALSA{layout: l}
	var err error
	if a.capture, err = openPCM(fmt.Sprintf("/dev/snd/pcmC%dD%dc", card, device), l); err != nil {
		return nil, err
	}
	if a.playback, err = openPCM(fmt.Sprintf("/dev/snd/pcmC%dD%dp", card, device), l); err != nil {
		a.capture.Close()
		return nil, err
	}
	return a, nil
}

func openPCM(path string, l Layout) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("pcm: %w", err)
	}
	if err := ioctl(f, ioctlHWParams, unsafe.Pointer(newHWParams(l))); err != nil {
		f.Close()
		return nil, fmt.Errorf("pcm: %s: hw_params (%d slots %v 8 kHz): %w", path, l.Slots, l.Format, err)
	}
	if err := ioctl(f, ioctlPrepare, nil); err != nil {
		f.Close()
		return nil, fmt.Errorf("pcm: %s: prepare: %w", path, err)
	}
	return f, nil
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if cerr := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	}); cerr != nil {
		return cerr
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// transfer moves one block; on EPIPE (xrun) it re-prepares the stream and
// returns ErrXrun.
func (a *ALSA) transfer(f *os.File, req uintptr, buf []byte) error {
	sys := a.sys
	if sys == nil {
		sys = ioctl
	}
	x := xferi{buf: uintptr(unsafe.Pointer(&buf[0])), frames: hal.FrameSamples}
	err := sys(f, req, unsafe.Pointer(&x))
	runtime.KeepAlive(buf)
	switch {
	case errors.Is(err, unix.EPIPE):
		if perr := sys(f, ioctlPrepare, nil); perr != nil {
			return fmt.Errorf("pcm: recover from xrun: %w", perr)
		}
		return ErrXrun
	case err != nil:
		return fmt.Errorf("pcm: %w", err)
	case x.result != hal.FrameSamples:
		return fmt.Errorf("pcm: short transfer of %d frames: %w", x.result, ErrXrun)
	}
	return nil
}

// ReadBlock captures one 20 ms block.
func (a *ALSA) ReadBlock(buf []byte) error {
	if len(buf) != a.layout.BlockBytes() {
		return fmt.Errorf("pcm: block of %d bytes, want %d", len(buf), a.layout.BlockBytes())
	}
	return a.transfer(a.capture, ioctlReadI, buf)
}

// WriteBlock plays one 20 ms block. The first call also queues a block
// of silence, so playback runs one period ahead of capture.
func (a *ALSA) WriteBlock(buf []byte) error {
	if len(buf) != a.layout.BlockBytes() {
		return fmt.Errorf("pcm: block of %d bytes, want %d", len(buf), a.layout.BlockBytes())
	}
	if !a.primed {
		a.primed = true
		silence := make([]byte, len(buf))
		a.layout.Idle(silence)
		if err := a.transfer(a.playback, ioctlWriteI, silence); err != nil {
			return err
		}
	}
	return a.transfer(a.playback, ioctlWriteI, buf)
}

// Close closes both streams.
func (a *ALSA) Close() error {
	return errors.Join(a.capture.Close(), a.playback.Close())
}
