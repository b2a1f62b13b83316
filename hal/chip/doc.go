// Package chip is what the telephony chip drivers (hal/proslic, hal/daa)
// share: a byte-framed SPI bus with chip select raised after every byte
// (as the Si321x and Si305x want, hal-notes 1.2) and the reset and
// interrupt pin handling with its safe-state rule: a chip is held in reset
// until it is configured, and put back there on any error and on close.
//
// It works on periph's spi.Port and gpio interfaces, so tests can put
// periph's spitest Record/Playback or the fakes in chiptest behind it.
package chip
