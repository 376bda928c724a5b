.PHONY: test demo vet

test:
	go vet ./...
	go test -race ./...

demo:
	go run ./examples/demo
