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
  "Cv8BCh9nb29nbGUvcHJvdG9idWYvdGltZXN0YW1wLnByb3RvEg9nb29nbGUucHJvdG9idWYiOwoJVGltZXN0YW1wEhgKB3NlY29uZHMYASABKANSB3NlY29uZHMSFAoFbmFub3MYAiABKAVSBW5hbm9zQoUBChNjb20uZ29vZ2xlLnByb3RvYnVmQg5UaW1lc3RhbXBQcm90b1ABWjJnb29nbGUuZ29sYW5nLm9yZy9wcm90b2J1Zi90eXBlcy9rbm93bi90aW1lc3RhbXBwYvgBAaICA0dQQqoCHkdvb2dsZS5Qcm90b2J1Zi5XZWxsS25vd25UeXBlc2IGcHJvdG8zCqsHCg1jYXRhbG9nLnByb3RvEg9kZW1vLmNhdGFsb2cudjEaH2dvb2dsZS9wcm90b2J1Zi90aW1lc3RhbXAucHJvdG8iNQoLQm9va1Byb2JsZW0SFgoGcmVhc29uGAEgASgJUgZyZWFzb24SDgoCaWQYAiABKAlSAmlkIlAKEExpc3RCb29rc1JlcXVlc3QSFAoFY291bnQYASABKAVSBWNvdW50EhIKBGZhaWwYAiABKAlSBGZhaWwSEgoEaG9sZBgDIAEoCVIEaG9sZCJDCg5HZXRCb29rUmVxdWVzdBIOCgJpZBgBIAEoCVICaWQSIQoMd2l0aF9yZXZpZXdzGAIgASgIUgt3aXRoUmV2aWV3cyI+ChFDcmVhdGVCb29rUmVxdWVzdBIpCgRib29rGAEgASgLMhUuZGVtby5jYXRhbG9nLnYxLkJvb2tSBGJvb2si8AIKBEJvb2sSDgoCaWQYASABKAlSAmlkEhQKBXRpdGxlGAIgASgJUgV0aXRsZRIUCgVwYWdlcxgDIAEoA1IFcGFnZXMSEgoEdGFncxgEIAMoCVIEdGFncxI0CgZmb3JtYXQYBSABKA4yHC5kZW1vLmNhdGFsb2cudjEuQm9vay5Gb3JtYXRSBmZvcm1hdBI4CglwdWJsaXNoZWQYBiABKAsyGi5nb29nbGUucHJvdG9idWYuVGltZXN0YW1wUglwdWJsaXNoZWQSNgoFc3RvY2sYByADKAsyIC5kZW1vLmNhdGFsb2cudjEuQm9vay5TdG9ja0VudHJ5UgVzdG9jaxo4CgpTdG9ja0VudHJ5EhAKA2tleRgBIAEoCVIDa2V5EhQKBXZhbHVlGAIgASgFUgV2YWx1ZToCOAEiNgoGRm9ybWF0EhYKEkZPUk1BVF9VTlNQRUNJRklFRBAAEgkKBVBBUEVSEAESCQoFRUJPT0sQAjLeAQoHQ2F0YWxvZxJBCgdHZXRCb29rEh8uZGVtby5jYXRhbG9nLnYxLkdldEJvb2tSZXF1ZXN0GhUuZGVtby5jYXRhbG9nLnYxLkJvb2sSRwoKQ3JlYXRlQm9vaxIiLmRlbW8uY2F0YWxvZy52MS5DcmVhdGVCb29rUmVxdWVzdBoVLmRlbW8uY2F0YWxvZy52MS5Cb29rEkcKCUxpc3RCb29rcxIhLmRlbW8uY2F0YWxvZy52MS5MaXN0Qm9va3NSZXF1ZXN0GhUuZGVtby5jYXRhbG9nLnYxLkJvb2swAWIGcHJvdG8z";

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(DESCRIPTOR, "base64")));
export const Catalog = registry.getService("demo.catalog.v1.Catalog");

/** Where the service answers: `/demo.catalog.v1.Catalog/<Method>`. */
export const CATALOG_PREFIX = `/${Catalog.typeName}/`;

/** Streams waiting to be released (ListBooks with `hold`): id -> release function. */
const holds = new Map();
const waiting = new Map();

/** Releases the ListBooks stream held under `id` (now, or as soon as it waits). */
export function releaseStream(id) {
  const release = holds.get(id);
  if (release) {
    holds.delete(id);
    release();
  } else {
    waiting.set(id, true);
  }
}

/** When the demo books were published (a fixed instant, so answers are stable). */
export const PUBLISHED_MS = Date.UTC(2026, 0, 2, 3, 4, 5, 600);

/**
 * A Node request handler for the service. Ids pick the answer: `missing` is NOT_FOUND,
 * `denied` PERMISSION_DENIED, `broken` INTERNAL with a message that needs escaping,
 * `bad-id` INVALID_ARGUMENT with a BookProblem detail; any
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
          if (req.id === "bad-id") {
            const detail = { desc: registry.getMessage("demo.catalog.v1.BookProblem"), value: { reason: "ids are digits", id: req.id } };
            throw new ConnectError("invalid id", Code.InvalidArgument, undefined, [detail]);
          }
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
        async *listBooks(req, ctx) {
          seen(ctx.requestHeader);
          for (let i = 1; i <= req.count; i++) {
            yield { id: String(i), title: `Book ${i}`, format: 1 };
            if (i === 1 && req.hold && !waiting.delete(req.hold)) {
              await new Promise((resolve) => holds.set(req.hold, resolve));
            }
          }
          if (req.fail) throw new ConnectError(`stopped after ${req.count}`, Code[req.fail] ?? Code.Unknown);
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
