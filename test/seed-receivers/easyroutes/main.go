// The EasyRoutes seed's example webhook endpoint (seed 003, "Here is an example endpoint
// implement in Go"), as the seed wrote it but for four marked changes: the secret and the
// listen address come from the environment (the test picks them), Payload is a
// json.RawMessage (the seed's []byte makes json.Unmarshal reject every event whose payload is
// an object, so the handler answers 400 to all of them), and each accepted event is logged so
// the test can see what arrived. Run by test/easyroutes-seed-receiver.test.ts.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
)

// Webhook secret key example.
// Not recommend to hardcode!
// CHANGED: read from the environment instead of the seed's "PjV...w==" placeholder.
var easyroutesSecret = os.Getenv("EASYROUTES_SECRET")

type Event struct {
	EventId        string `json:"eventId"`
	Topic          string `json:"topic"`
	EventTimestamp string `json:"eventTimestamp"`
	ApiVersion     string `json:"apiVersion"`
	ObjectId       string `json:"objectId,omitempty"`
	// CHANGED: the seed's `Payload []byte` cannot hold a JSON object.
	Payload json.RawMessage `json:"payload,omitempty"`
}

func main() {
	http.HandleFunc("/webhook", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			log.Printf("error reading webhook body: %v", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}

		sig := r.Header.Get("X-EasyRoutes-Hmac-Sha256")
		if len(sig) == 0 {
			log.Printf("missing signature header")
			w.WriteHeader(http.StatusBadRequest)
			return
		}

		d, err := base64.StdEncoding.DecodeString(easyroutesSecret)
		if err != nil {
			log.Fatalf("error decoding secret: %v", err)
		}

		enc := hmac.New(sha256.New, d)
		enc.Write(b)
		expected := enc.Sum(nil)

		actual, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			log.Printf("error decoding signature: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}

		if !hmac.Equal(expected, actual) {
			log.Printf(
				"signature mismatch, expected=%s, actual=%s",
				base64.StdEncoding.EncodeToString(expected),
				base64.StdEncoding.EncodeToString(actual),
			)
			w.WriteHeader(http.StatusBadRequest)
			return
		}

		parsed := &Event{}
		err = json.Unmarshal(b, parsed)
		if err != nil {
			log.Printf("error parsing webhook body: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}

		// CHANGED: one JSON line per accepted event, for the test.
		line, _ := json.Marshal(map[string]any{"accepted": parsed})
		log.Printf("%s", line)

		switch parsed.Topic {
		case "ROUTE_CREATED":
			// process event here
		}

		w.WriteHeader(http.StatusOK)
	})

	// CHANGED: the seed listens on ":8080"; the test gives a free loopback port.
	addr := os.Getenv("EASYROUTES_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	log.Fatal(http.ListenAndServe(addr, nil))
}
