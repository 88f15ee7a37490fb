// Command logverifier checks Kelisim's signed checkpoints and proofs with Go's own
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, so the test that runs it proves
// that a verifier Kelisim did not write accepts them. It only reads files and calls the library.
//
//	logverifier receipt VERIFIER_KEY RECEIPT.json            every event's inclusion proof
//	logverifier consistency VERIFIER_KEY OLD NEW PROOF.json  NEW's tree extends OLD's
//
// Exit status 0 when everything verifies, 1 with a reason on standard error when not.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type receipt struct {
	Checkpoint string `json:"checkpoint"`
	Events     []struct {
		LeafIndex int64       `json:"leaf_index"`
		Leaf      string      `json:"leaf"`
		Proof     []tlog.Hash `json:"inclusion_proof"`
	} `json:"events"`
}

type consistency struct {
	Proof []tlog.Hash `json:"proof"`
}

// openCheckpoint verifies the note's signature and reads the C2SP tlog-checkpoint body.
func openCheckpoint(verifier note.Verifier, text []byte) (int64, tlog.Hash) {
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint: not a checkpoint of log %q", verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail("checkpoint: bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint: bad root hash: %v", err)
	}
	return size, root
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "logverifier: "+format+"\n", args...)
	os.Exit(1)
}

func read(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	return data
}

func main() {
	if len(os.Args) < 4 {
		fail("usage: logverifier receipt KEY FILE | consistency KEY OLD NEW PROOF")
	}
	verifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail("verifier key: %v", err)
	}
	switch os.Args[1] {
	case "receipt":
		var r receipt
		if err := json.Unmarshal(read(os.Args[3]), &r); err != nil {
			fail("receipt: %v", err)
		}
		size, root := openCheckpoint(verifier, []byte(r.Checkpoint))
		if len(r.Events) == 0 {
			fail("receipt: no events")
		}
		for _, event := range r.Events {
			leaf := tlog.RecordHash([]byte(event.Leaf))
			if err := tlog.CheckRecord(event.Proof, size, root, event.LeafIndex, leaf); err != nil {
				fail("leaf %d: %v", event.LeafIndex, err)
			}
		}
		fmt.Printf("ok: %d events in tree of size %d\n", len(r.Events), size)
	case "consistency":
		if len(os.Args) != 6 {
			fail("usage: logverifier consistency KEY OLD NEW PROOF")
		}
		oldSize, oldRoot := openCheckpoint(verifier, read(os.Args[3]))
		newSize, newRoot := openCheckpoint(verifier, read(os.Args[4]))
		var c consistency
		if err := json.Unmarshal(read(os.Args[5]), &c); err != nil {
			fail("proof: %v", err)
		}
		if err := tlog.CheckTree(c.Proof, newSize, newRoot, oldSize, oldRoot); err != nil {
			fail("consistency %d -> %d: %v", oldSize, newSize, err)
		}
		fmt.Printf("ok: tree of size %d extends tree of size %d\n", newSize, oldSize)
	default:
		fail("unknown command %q", os.Args[1])
	}
}
