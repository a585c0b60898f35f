// The demo catalog service (routes/protos/catalog.proto), served by the demo origin over
// Connect and gRPC-Web with the reference implementation (@connectrpc/connect-node).
//
// DESCRIPTOR is routes/protos/ compiled (a base64 FileDescriptorSet, imports included), as
//   cargo run -q -p gatehouse-config --example descriptor_set -- routes
// prints it; tests/protos.rs fails when it no longer matches the .proto files.
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

export const DESCRIPTOR =
  "Cv8BCh9nb29nbGUvcHJvdG9idWYvdGltZXN0YW1wLnByb3RvEg9nb29nbGUucHJvdG9idWYiOwoJVGltZXN0YW1wEhgKB3NlY29uZHMYASABKANSB3NlY29uZHMSFAoFbmFub3MYAiABKAVSBW5hbm9zQoUBChNjb20uZ29vZ2xlLnByb3RvYnVmQg5UaW1lc3RhbXBQcm90b1ABWjJnb29nbGUuZ29sYW5nLm9yZy9wcm90b2J1Zi90eXBlcy9rbm93bi90aW1lc3RhbXBwYvgBAaICA0dQQqoCHkdvb2dsZS5Qcm90b2J1Zi5XZWxsS25vd25UeXBlc2IGcHJvdG8zCtkFCg1jYXRhbG9nLnByb3RvEg9kZW1vLmNhdGFsb2cudjEaH2dvb2dsZS9wcm90b2J1Zi90aW1lc3RhbXAucHJvdG8iQwoOR2V0Qm9va1JlcXVlc3QSDgoCaWQYASABKAlSAmlkEiEKDHdpdGhfcmV2aWV3cxgCIAEoCFILd2l0aFJldmlld3MiPgoRQ3JlYXRlQm9va1JlcXVlc3QSKQoEYm9vaxgBIAEoCzIVLmRlbW8uY2F0YWxvZy52MS5Cb29rUgRib29rIvACCgRCb29rEg4KAmlkGAEgASgJUgJpZBIUCgV0aXRsZRgCIAEoCVIFdGl0bGUSFAoFcGFnZXMYAyABKANSBXBhZ2VzEhIKBHRhZ3MYBCADKAlSBHRhZ3MSNAoGZm9ybWF0GAUgASgOMhwuZGVtby5jYXRhbG9nLnYxLkJvb2suRm9ybWF0UgZmb3JtYXQSOAoJcHVibGlzaGVkGAYgASgLMhouZ29vZ2xlLnByb3RvYnVmLlRpbWVzdGFtcFIJcHVibGlzaGVkEjYKBXN0b2NrGAcgAygLMiAuZGVtby5jYXRhbG9nLnYxLkJvb2suU3RvY2tFbnRyeVIFc3RvY2saOAoKU3RvY2tFbnRyeRIQCgNrZXkYASABKAlSA2tleRIUCgV2YWx1ZRgCIAEoBVIFdmFsdWU6AjgBIjYKBkZvcm1hdBIWChJGT1JNQVRfVU5TUEVDSUZJRUQQABIJCgVQQVBFUhABEgkKBUVCT09LEAIylQEKB0NhdGFsb2cSQQoHR2V0Qm9vaxIfLmRlbW8uY2F0YWxvZy52MS5HZXRCb29rUmVxdWVzdBoVLmRlbW8uY2F0YWxvZy52MS5Cb29rEkcKCkNyZWF0ZUJvb2sSIi5kZW1vLmNhdGFsb2cudjEuQ3JlYXRlQm9va1JlcXVlc3QaFS5kZW1vLmNhdGFsb2cudjEuQm9va2IGcHJvdG8z";

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(DESCRIPTOR, "base64")));
export const Catalog = registry.getService("demo.catalog.v1.Catalog");

/** Where the service answers: `/demo.catalog.v1.Catalog/<Method>`. */
export const CATALOG_PREFIX = `/${Catalog.typeName}/`;

/** When the demo books were published (a fixed instant, so answers are stable). */
export const PUBLISHED_MS = Date.UTC(2026, 0, 2, 3, 4, 5, 600);

/**
 * A Node request handler for the service. Ids pick the answer: `missing` is NOT_FOUND,
 * `denied` PERMISSION_DENIED, `broken` INTERNAL with a message that needs escaping; any
 * other id is a book. `seen` receives each call's request headers.
 */
export function catalogHandler(seen = () => {}) {
  return connectNodeAdapter({
    routes(router) {
      router.service(Catalog, {
        getBook(req, ctx) {
          seen(ctx.requestHeader);
          if (req.id === "missing") throw new ConnectError(`no book ${req.id}`, Code.NotFound);
          if (req.id === "denied") throw new ConnectError("not yours", Code.PermissionDenied);
          if (req.id === "broken") throw new ConnectError("50% off: ünïcode\nline", Code.Internal);
          return {
            id: req.id,
            title: `Book ${req.id}`,
            pages: 321n,
            tags: req.withReviews ? ["reviews"] : [],
            format: 2,
            published: timestampFromMs(PUBLISHED_MS),
            stock: { eu: 3, us: 0 },
          };
        },
        createBook(req, ctx) {
          seen(ctx.requestHeader);
          if (!req.book?.title) throw new ConnectError("a book needs a title", Code.InvalidArgument);
          return { ...req.book, id: `b-${req.book.title}` };
        },
      });
    },
  });
}
