# make test: everything CI runs. make demo: the end-to-end demo.
.PHONY: test deps vet demo bench

test: deps
	go vet ./...
	go test -race ./...
	cd bench && go vet ./... && go test -run '^$$' -bench . -benchtime 1x ./...
	cd examples/prometheus && go vet ./... && go test -race ./...
	cd examples/otel && go vet ./... && go test -race ./...

# deps installs what the tests need: Node.js/npm (checked) and the npm
# packages of the real issuers (cognito-local, oidc-provider).
# Under CI a failure here fails the build; elsewhere those tests are skipped
# with the reason.
deps:
	@if bash .ci/ensure-node.sh && go run ./internal/idp/cmd/install; then :; \
	elif [ -n "$${CI:-}" ] && [ "$${CI}" != "false" ]; then exit 1; \
	else echo "make: node/npm or the npm packages are missing; the real-IdP tests will be skipped"; fi

demo:
	go run ./examples/demo

bench:
	cd bench && ./run.sh
