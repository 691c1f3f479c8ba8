# ivbridge: the demo and a local run. Tests: scripts/test (see README).
.PHONY: demo run

# Starts the Medplum test upstream and ivbridge wired to it, loads the
# clinic examples over the clinic API, shows them arriving upstream.
demo:
	scripts/demo.sh

# Runs the service on 127.0.0.1:8080 with the embedded store in ./data
# (UPSTREAM=http://… to sync with an upstream FHIR server).
run:
	go run ./cmd/ivbridge serve $(if $(UPSTREAM),--upstream $(UPSTREAM))
