"""The gRPC transport: translates protobuf messages and calls the same use cases as REST."""
