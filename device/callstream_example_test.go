//go:build !edgewamp_noprogcall

package device_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// A firmware image goes to a device that cannot hold it whole: the updater
// streams it in 4 KiB chunks on one call, and the device writes each chunk
// to flash as it comes and acknowledges it with a progressive result (the
// bytes written so far). The updater keeps at most 4 chunks unacknowledged,
// so neither the device nor the gateway ever holds more than 16 KiB of it.
func ExampleClient_CallStream() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()

	// The device: "fw.write" writes the image to its flash (here a buffer)
	// and answers with the image's SHA-256 once the last chunk is in.
	var flash bytes.Buffer
	dev := joinInProcess(ctx, rt)
	defer dev.Close()
	_, err := dev.Register(ctx, "fw.write", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		sum := sha256.New()
		for chunk := inv.Payload; ; {
			b, _ := chunk.Args[0].([]byte)
			flash.Write(b)
			sum.Write(b)
			if err := inv.Progress(ctx, wamp.Payload{Args: wamp.List{flash.Len()}}); err != nil {
				return wamp.Payload{}, err
			}
			var err error
			if chunk, err = inv.Recv(ctx); errors.Is(err, io.EOF) {
				return wamp.Payload{Args: wamp.List{fmt.Sprintf("%x", sum.Sum(nil))}}, nil
			} else if err != nil {
				return wamp.Payload{}, err // the update was cancelled
			}
		}
	}, nil)
	if err != nil {
		log.Fatal(err)
	}

	// The updater.
	image := bytes.Repeat([]byte("firmware"), 8192) // 64 KiB
	const chunkSize, window = 4096, 4
	updater := joinInProcess(ctx, rt)
	defer updater.Close()
	cs, err := updater.CallStream(ctx, "fw.write", nil)
	if err != nil {
		log.Fatal(err)
	}
	unacked := 0
	for off := 0; off+chunkSize < len(image); off += chunkSize {
		if unacked == window {
			if _, err := cs.Recv(ctx); err != nil { // wait for an acknowledgement
				log.Fatal(err)
			}
			unacked--
		}
		if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{image[off : off+chunkSize]}}); err != nil {
			log.Fatal(err)
		}
		unacked++
	}
	if err := cs.CloseSend(ctx, wamp.Payload{Args: wamp.List{image[len(image)-chunkSize:]}}); err != nil {
		log.Fatal(err)
	}
	res, err := cs.Result(ctx) // the acknowledgements not taken go nowhere: no CallOptions.Progress
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("written:", flash.Len(), "bytes")
	fmt.Println("checksum matches:", res.Args[0] == fmt.Sprintf("%x", sha256.Sum256(image)))
	// Output:
	// written: 65536 bytes
	// checksum matches: true
}
